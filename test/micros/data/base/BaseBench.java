package micros.data.base;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import micros.http.Server;
import micros.support.Http;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Figures for the Base on its own (raw HTTP keep-alive on loopback, fsync on): put and get p50,
 * acknowledged puts per second from 32 writers (group commit), a query over 10,000 items.
 * Prints them; asserts nothing about time. {@code make stress SELECT="--select-class micros.data.base.BaseBench"}
 * or run {@link #main}.
 */
@Tag("slow")
class BaseBench {
    public static void main(String[] args) throws Exception {
        new BaseBench().figures();
    }

    @Test
    void figures() throws Exception {
        Path dir = Files.createTempDirectory("micros-base-bench");
        BaseService service = new BaseService(dir, "pb", "pb_key");
        Server server = Server.start("127.0.0.1", 0, service, Server.Settings.DEFAULT, (ex, e) -> { });
        try {
            int port = server.port();
            try (Socket s = socket(port)) {
                long[] put = new long[500], get = new long[500];
                for (int i = 0; i < put.length; i++) {
                    long t = System.nanoTime();
                    call(s, "PUT", "/v1/pb/seq/items", "{\"items\":[{\"key\":\"k" + i + "\",\"n\":" + i + ",\"name\":\"item " + i + "\"}]}");
                    put[i] = System.nanoTime() - t;
                }
                for (int i = 0; i < get.length; i++) {
                    long t = System.nanoTime();
                    call(s, "GET", "/v1/pb/seq/items/k" + i, null);
                    get[i] = System.nanoTime() - t;
                }
                System.out.printf("base put p50 %.2f ms (one writer, fsync each), get p50 %.3f ms%n", p50(put), p50(get));
            }

            int writers = 32, each = 100;
            AtomicInteger failed = new AtomicInteger();
            Thread[] ts = new Thread[writers];
            long t0 = System.nanoTime();
            for (int w = 0; w < writers; w++) {
                int id = w;
                ts[w] = new Thread(() -> {
                    try (Socket s = socket(port)) {
                        for (int i = 0; i < each; i++) {
                            if (call(s, "PUT", "/v1/pb/many/items", "{\"items\":[{\"key\":\"w" + id + "-" + i + "\",\"v\":" + i + "}]}") != 207) failed.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                });
                ts[w].start();
            }
            for (Thread t : ts) t.join();
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("base acknowledged puts: %.0f/s (%d writers x %d, fsync group commit, %d failed)%n", writers * each / secs, writers, each, failed.get());

            StringBuilder batch = new StringBuilder();
            for (int b = 0; b < 400; b++) {
                batch.setLength(0);
                batch.append("{\"items\":[");
                for (int i = 0; i < 25; i++) {
                    int n = b * 25 + i;
                    batch.append(i > 0 ? "," : "").append(String.format("{\"key\":\"q%05d\",\"age\":%d,\"city\":\"%s\",\"tags\":[\"t%d\"]}", n, n % 90, n % 7 == 0 ? "Berlin" : "Paris", n % 13));
                }
                try (Socket s = socket(port)) {
                    call(s, "PUT", "/v1/pb/tenk/items", batch + "]}");
                }
            }
            String q = "{\"query\":[{\"city\":\"Berlin\",\"age?gte\":40},{\"tags?contains\":\"t3\"}]}";
            long[] qt = new long[20];
            int size = 0;
            try (Socket s = socket(port)) {
                for (int i = 0; i < qt.length; i++) {
                    long t = System.nanoTime();
                    call(s, "POST", "/v1/pb/tenk/query", q);
                    qt[i] = System.nanoTime() - t;
                }
            }
            long[] inproc = new long[20];
            for (int i = 0; i < inproc.length; i++) {
                long t = System.nanoTime();
                size = service.query("tenk", q.substring(9, q.length() - 1), Integer.MAX_VALUE).size();
                inproc[i] = System.nanoTime() - t;
            }
            System.out.printf("base query over 10,000 items: p50 %.2f ms over HTTP (first 1 MB page), %.2f ms in-process for all %d matches%n",
                    p50(qt), p50(inproc), size);
        } finally {
            server.stop();
            service.close();
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static Socket socket(int port) throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setTcpNoDelay(true);
        return s;
    }

    private static int call(Socket s, String method, String target, String body) throws Exception {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write((method + " " + target + " HTTP/1.1\r\nHost: x\r\nX-API-Key: pb_key\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.flush();
        return Http.read(s.getInputStream(), false).status();
    }

    private static double p50(long[] nanos) {
        long[] c = nanos.clone();
        Arrays.sort(c);
        return c[c.length / 2] / 1e6;
    }
}
