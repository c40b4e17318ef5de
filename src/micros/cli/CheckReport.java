package micros.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import micros.runtime.LogTail;
import micros.util.Json;

/** The results of `check`: a table for people, JUnit XML (what CI systems display) and JSON (for scripts). */
final class CheckReport {
    private CheckReport() {}

    /**
     * One check: a request and what came back, or a step before any request (the Spacefile, the
     * start, a micro's install and build, a preset without a value) that failed. {@code micro} is
     * null for the app as a whole; {@code method}, {@code path}, {@code expected} are null for a step.
     */
    record Result(String micro, String method, String path, String name, int status, String expected, long instance, long coldStartMillis,
                  long millis, boolean ok, String reason, List<String> lastOutput) {
        /** @param instance the number of the micro's instance that served it (1, 2 ...), 0 when none did (static, no answer) */
        static Result request(String micro, String method, String path, int status, String expected, long instance, long coldStartMillis,
                              long millis, String reason, List<String> lastOutput) {
            return new Result(micro, method, path, method + " " + path, status, expected, instance, coldStartMillis, millis, reason == null, reason, lastOutput);
        }

        /** A step that failed before (or instead of) the requests: named, with its reason. */
        static Result step(String micro, String name, String reason) {
            return new Result(micro, null, null, name, -1, null, 0, -1, 0, false, reason, List.of());
        }

        boolean isRequest() {
            return method != null;
        }

        /** The line of the micro's output that names its error, if it printed one. */
        String errorLine() {
            return LogTail.errorLine(lastOutput);
        }
    }

    static void table(PrintStream out, List<Result> results) {
        List<String[]> rows = new ArrayList<>();
        for (Result r : results) {
            String result;
            if (r.ok()) result = "ok";
            else if (!r.isRequest() || r.status() < 0) result = "fail (" + r.reason() + ")";
            else result = "fail (expected " + r.expected() + ")" + (r.errorLine() == null ? "" : ": " + r.errorLine());
            rows.add(new String[] {r.micro() == null ? "-" : r.micro(), r.name(), r.expected() == null ? "-" : r.expected(),
                    r.status() < 0 ? "-" : Integer.toString(r.status()), r.instance() == 0 ? "-" : Long.toString(r.instance()),
                    r.coldStartMillis() < 0 ? "-" : r.coldStartMillis() + " ms", result});
        }
        String[] head = {"micro", "check", "expected", "status", "instance", "cold start", "result"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) w[i] = head[i].length();
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder fmt = new StringBuilder();
        for (int i = 0; i < w.length - 1; i++) fmt.append("%-").append(w[i]).append("s  ");
        fmt.append("%s%n");
        out.println();
        out.printf(fmt.toString(), (Object[]) head);
        for (String[] r : rows) out.printf(fmt.toString(), (Object[]) r);
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
            sb.append("    <testcase classname=\"").append(xml(r.micro() == null ? app : app + "." + r.micro())).append("\" name=\"").append(xml(r.name()))
                    .append("\" time=\"").append(seconds(r.millis())).append('"');
            if (r.ok()) {
                sb.append("/>\n");
                continue;
            }
            String type = !r.isRequest() ? "setup" : r.status() < 0 ? "no answer" : "status " + r.status();
            sb.append(">\n      <failure message=\"").append(xml(r.reason())).append("\" type=\"").append(type)
                    .append("\">").append(xml(failureText(r))).append("</failure>\n    </testcase>\n");
        }
        return sb.append("  </testsuite>\n</testsuites>\n").toString();
    }

    private static String failureText(Result r) {
        if (!r.isRequest()) return r.name() + ": " + r.reason() + "\n";
        StringBuilder t = new StringBuilder(r.name() + ": " + (r.status() < 0 ? "no answer" : "status " + r.status()) + ", expected "
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
            sb.append(i == 0 ? "\n  " : ",\n  ").append("{\"check\":").append(Json.quote(r.name())).append(",\"micro\":").append(quoted(r.micro()))
                    .append(",\"method\":").append(quoted(r.method())).append(",\"path\":").append(quoted(r.path()))
                    .append(",\"status\":").append(r.status() < 0 ? "null" : Integer.toString(r.status()))
                    .append(",\"expected\":").append(quoted(r.expected())).append(",\"instance\":").append(r.instance() == 0 ? "null" : Long.toString(r.instance()))
                    .append(",\"coldStartMillis\":")
                    .append(r.coldStartMillis() < 0 ? "null" : Long.toString(r.coldStartMillis())).append(",\"millis\":").append(r.millis())
                    .append(",\"ok\":").append(r.ok()).append(",\"reason\":").append(r.ok() ? "null" : Json.quote(r.reason())).append(",\"lastOutput\":[");
            for (int j = 0; j < r.lastOutput().size(); j++) sb.append(j == 0 ? "" : ",").append(Json.quote(r.lastOutput().get(j)));
            sb.append("]}");
        }
        return sb.append("\n]}").toString();
    }

    private static String quoted(String s) {
        return s == null ? "null" : Json.quote(s);
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
