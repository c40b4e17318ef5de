package micros.cli;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

import micros.util.Json;

/** The results of `check` for machines: JUnit XML (what CI systems display) and JSON (for scripts). */
final class CheckReport {
    private CheckReport() {}

    /** One check: the request, what came back, and for a failure why and the micro's last output. */
    record Result(String micro, String method, String path, int status, String expected, long coldStartMillis, long millis,
                  boolean ok, String reason, List<String> lastOutput) {
        String request() {
            return method + " " + path;
        }
    }

    static String junit(String app, List<Result> results, long totalMillis, Instant started) {
        long failures = results.stream().filter(r -> !r.ok()).count();
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<testsuites name=\"micros check\" tests=\"").append(results.size()).append("\" failures=\"").append(failures)
                .append("\" errors=\"0\" time=\"").append(seconds(totalMillis)).append("\">\n");
        sb.append("  <testsuite name=\"").append(xml(app)).append("\" tests=\"").append(results.size()).append("\" failures=\"").append(failures)
                .append("\" errors=\"0\" skipped=\"0\" time=\"").append(seconds(totalMillis)).append("\" timestamp=\"")
                .append(started.truncatedTo(ChronoUnit.SECONDS).toString().replace("Z", "")).append("\">\n");
        for (Result r : results) {
            sb.append("    <testcase classname=\"").append(xml(app + "." + r.micro())).append("\" name=\"").append(xml(r.request()))
                    .append("\" time=\"").append(seconds(r.millis())).append('"');
            if (r.ok()) {
                sb.append("/>\n");
                continue;
            }
            sb.append(">\n      <failure message=\"").append(xml(r.reason())).append("\" type=\"").append(r.status() < 0 ? "no answer" : "status " + r.status())
                    .append("\">").append(xml(failureText(r))).append("</failure>\n    </testcase>\n");
        }
        return sb.append("  </testsuite>\n</testsuites>\n").toString();
    }

    private static String failureText(Result r) {
        StringBuilder t = new StringBuilder(r.request() + ": " + (r.status() < 0 ? "no answer" : "status " + r.status()) + ", expected "
                + r.expected() + "\n" + r.reason() + "\n");
        if (!r.lastOutput().isEmpty()) {
            t.append("\nlast output of micro ").append(r.micro()).append(":\n");
            for (String line : r.lastOutput()) t.append(line).append('\n');
        }
        return t.toString();
    }

    static String json(String app, List<Result> results, long totalMillis) {
        StringBuilder sb = new StringBuilder("{\"app\":").append(Json.quote(app)).append(",\"passed\":").append(results.stream().allMatch(Result::ok))
                .append(",\"millis\":").append(totalMillis).append(",\"checks\":[");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            sb.append(i == 0 ? "\n  " : ",\n  ").append("{\"micro\":").append(Json.quote(r.micro())).append(",\"method\":").append(Json.quote(r.method()))
                    .append(",\"path\":").append(Json.quote(r.path())).append(",\"status\":").append(r.status() < 0 ? "null" : Integer.toString(r.status()))
                    .append(",\"expected\":").append(Json.quote(r.expected())).append(",\"coldStartMillis\":")
                    .append(r.coldStartMillis() < 0 ? "null" : Long.toString(r.coldStartMillis())).append(",\"millis\":").append(r.millis())
                    .append(",\"ok\":").append(r.ok()).append(",\"reason\":").append(r.ok() ? "null" : Json.quote(r.reason())).append(",\"lastOutput\":[");
            for (int j = 0; j < r.lastOutput().size(); j++) sb.append(j == 0 ? "" : ",").append(Json.quote(r.lastOutput().get(j)));
            sb.append("]}");
        }
        return sb.append("\n]}").toString();
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }

    /** XML text and attribute escaping; characters XML 1.0 cannot hold at all become U+FFFD. */
    static String xml(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\n', '\t' -> b.append(c);
                case '\r' -> b.append("&#13;");
                default -> b.append(c < 0x20 || c == 0xFFFE || c == 0xFFFF ? '\uFFFD' : c);
            }
        }
        return b.toString();
    }
}
