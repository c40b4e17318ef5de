package micros.data.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import micros.http.Server;
import micros.support.Http;
import micros.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Open files do not follow the number of bases: a micro that makes thousands of them cannot take
 * the descriptors the app needs to start micros, and an app with 20,000 bases opens and serves
 * every one under a descriptor limit far below that.
 */
class BaseFilesTest {
    @TempDir
    Path dir;

    @Test
    void threeThousandBasesHoldFewDescriptors() throws Exception {
        BaseService service = new BaseService(dir, "p1", "p1_key");
        Server server = Server.start("127.0.0.1", 0, service, Server.Settings.DEFAULT, (ex, e) -> e.printStackTrace());
        try {
            long before = openFiles();
            // as a busy micro would, from several connections at once (the bases' fsyncs overlap)
            assertEquals(3000, fromClients(server.port(), 3000,
                    (own, i) -> own.call("PUT", "/v1/p1/b" + i + "/items", "{\"items\":[{\"key\":\"k\",\"n\":" + i + "}]}").status() == 207));
            long after = openFiles();
            assertTrue(after - before < 200, "3,000 bases hold " + (after - before) + " more open files");
            assertEquals(3000, fromClients(server.port(), 3000, (own, i) -> served(own.call("GET", "/v1/p1/b" + i + "/items/k", null), i)));
        } finally {
            server.stop();
            service.close();
        }
        // opening the app's data does not hold every log open either
        long before = openFiles();
        BaseService reopened = new BaseService(dir, "p1", "p1_key");
        try {
            long after = openFiles();
            assertTrue(after - before < 200, "opening 3,000 bases holds " + (after - before) + " open files");
            assertEquals(3000, reopened.names().size());
            assertEquals(List.of(), reopened.recoveryWarnings());
        } finally {
            reopened.close();
        }
    }

    @Test
    void anAppWithTwentyThousandBasesStartsAndServesEveryOne() throws Exception {
        int bases = 20_000;
        Path folder = Files.createDirectories(dir.resolve("bases"));
        for (int i = 0; i < bases; i++) {
            byte[] record = ("{\"put\":[{\"key\":\"k\",\"n\":" + i + "}]}").getBytes(StandardCharsets.UTF_8);
            ByteBuffer framed = LogFile.frame(record);
            byte[] file = new byte[LogFile.MAGIC.length + framed.remaining()];
            System.arraycopy(LogFile.MAGIC, 0, file, 0, LogFile.MAGIC.length);
            framed.get(file, LogFile.MAGIC.length, framed.remaining());
            Files.write(folder.resolve(BaseNames.fileName("b" + i)), file);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("build/test-classes").toAbsolutePath() + ":" + Path.of("build/classes").toAbsolutePath();
        // 1,024 descriptors (a common default), far fewer than the bases: the data server must not need one per base
        Path errors = dir.resolve("child.err");
        Process child = new ProcessBuilder("sh", "-c", "ulimit -n 1024 && exec \"$@\"", "sh", java, "-cp", cp, BaseChild.class.getName(), dir.toString())
                .redirectError(errors.toFile()).start();
        try {
            String line = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(line != null && line.startsWith("port "), () -> "the data server did not start: " + line + "\n" + read(errors));
            int port = Integer.parseInt(line.substring(5));
            assertEquals(bases, fromClients(port, bases, (own, i) -> served(own.call("GET", "/v1/p1/b" + i + "/items/k", null), i)));
            try (Client c = new Client(port, "p1_key")) {
                assertEquals(207, c.call("PUT", "/v1/p1/b" + (bases - 1) + "/items", "{\"items\":[{\"key\":\"new\"}]}").status());
                assertEquals(207, c.call("PUT", "/v1/p1/fresh/items", "{\"items\":[{\"key\":\"new\"}]}").status());
            }
            long files;
            try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(child.pid()), "fd"))) {
                files = fds.count();
            }
            assertTrue(files < 300, "the data server holds " + files + " open files");
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
    }

    /** Whether base b{i} answered with its item. */
    private static boolean served(Http.Response r, int i) {
        return r.status() == 200 && Map.of("key", "k", "n", (long) i).equals(Json.parse(r.text()));
    }

    interface Call {
        boolean run(Client c, int i) throws Exception;
    }

    /** Makes calls 0 to n-1 from a few keep-alive connections at once; returns how many succeeded. */
    private static int fromClients(int port, int n, Call call) throws Exception {
        int clients = 4;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < clients; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    int ok = 0;
                    try (Client own = new Client(port, "p1_key")) {
                        for (int i = first; i < n; i += clients) if (call.run(own, i)) ok++;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : done) ok += f.get();
            return ok;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static long openFiles() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** One keep-alive connection, as the SDKs hold. */
    private static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final String key;

        Client(int port, String key) throws Exception {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(60_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            this.key = key;
        }

        Http.Response call(String method, String target, String body) throws Exception {
            byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            out.write((method + " " + target + " HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + "\r\nContent-Length: " + b.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
            return Http.read(in, false);
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }
}
