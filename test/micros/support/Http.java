package micros.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately plain HTTP/1.1 client over a socket: it sends exactly the bytes a test writes
 * (raw paths, odd headers) and reads one response, framed by Content-Length, chunks or close.
 */
public final class Http {
    private Http() {}

    public record Response(int status, Map<String, List<String>> headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.get(0);
        }

        public List<String> all(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }
    }

    public static Response get(int port, String target) throws IOException {
        return send(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", null);
    }

    /** Sends a request head (and body), reads the response. HEAD responses have no body. */
    public static Response send(int port, String head, byte[] body) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) out.write(body);
            out.flush();
            return read(s.getInputStream(), head.startsWith("HEAD "));
        }
    }

    public static Response read(InputStream in, boolean head) throws IOException {
        String statusLine = line(in);
        if (statusLine == null) throw new IOException("connection closed before a response");
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String l;
        while ((l = line(in)) != null && !l.isEmpty()) {
            int c = l.indexOf(':');
            headers.computeIfAbsent(l.substring(0, c).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(l.substring(c + 1).strip());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (head || status == 204 || status == 304) return new Response(status, headers, body.toByteArray());
        List<String> te = headers.get("transfer-encoding");
        List<String> cl = headers.get("content-length");
        if (te != null && te.get(0).contains("chunked")) {
            while (true) {
                String size = line(in);
                if (size == null) throw new IOException("chunked body cut short");
                int n = Integer.parseInt(size.split(";")[0].strip(), 16);
                if (n == 0) {
                    while ((l = line(in)) != null && !l.isEmpty()) { /* trailers */ }
                    break;
                }
                body.write(in.readNBytes(n));
                line(in);
            }
        } else if (cl != null) {
            int n = Integer.parseInt(cl.get(0));
            byte[] b = in.readNBytes(n);
            if (b.length < n) throw new IOException("body cut short: " + b.length + " of " + n);
            body.write(b);
        } else {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toByteArray());
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') return sb.toString().replaceAll("\r$", "");
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
