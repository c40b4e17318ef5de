package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.sandbox.Limiter;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.util.Json;

/**
 * An instance per concurrent execution, as Space ran them: with real processes, real cgroups and
 * a barrier (a port the test holds) so that requests overlap for certain, never by timing.
 */
class InstancesTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void requirements() {
        Apps.require("python3");
    }

    /** Requests that connect to it wait until it is opened (then every arrival goes on at once): all of them are in flight together. */
    static final class Barrier implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> arrived = new java.util.concurrent.CopyOnWriteArrayList<>();
        private boolean open; // guarded by this

        Barrier() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "instances-test-barrier");
            t.setDaemon(true);
            t.start();
        }

        private void accept() {
            try {
                for (;;) {
                    Socket s = server.accept();
                    synchronized (this) {
                        arrived.add(s);
                        if (open) answer(s);
                    }
                }
            } catch (IOException closed) {
                // the test is over
            }
        }

        int port() {
            return server.getLocalPort();
        }

        /** Waits until {@code n} requests have reached the barrier. */
        void await(int n) throws InterruptedException {
            InstancesTest.await(() -> arrived.size() >= n, n + " requests at the barrier");
        }

        synchronized void open() {
            open = true;
            for (Socket s : arrived) answer(s);
        }

        private static void answer(Socket s) {
            try {
                OutputStream out = s.getOutputStream();
                out.write('!');
                out.flush();
            } catch (IOException gone) {
                // its request is over
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : arrived) s.close();
        }
    }

    /** A thread per request (the common pool may have one thread on a 2-core machine: the requests would not overlap). */
    private static final java.util.concurrent.Executor THREAD = r -> {
        Thread t = new Thread(r, "instances-test-request");
        t.setDaemon(true);
        t.start();
    };

    private static CompletableFuture<Http.Response> async(Apps.Running app, String target) {
        return async(app.port(), target);
    }

    private static CompletableFuture<Http.Response> async(int port, String target) {
        return CompletableFuture.supplyAsync(() -> get(port, target), THREAD);
    }

    private static Map<String, Object> json(Http.Response r) {
        assertEquals(200, r.status(), r.text());
        return Json.object(r.text());
    }

    private static Supervisor api(Apps.Running app) {
        return app.emulator.runtime().supervisors().get(0);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) throw new AssertionError("not within 30 s: " + what);
            Thread.sleep(5);
        }
    }

    @SuppressWarnings("unchecked")
    private static int logged(Apps.Running app) {
        try {
            return ((List<Object>) Json.object(owner(app, "/__micros/api/requests").text()).get("requests")).size();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Http.Response owner(Apps.Running app, String target) throws IOException {
        return Http.send(app.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nCookie: space_token=" + Apps.OWNER + "\r\nConnection: close\r\n\r\n", null);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aGlobalCounterDiffersBetweenTwoOverlappingRequests() throws Exception {
        try (Apps.Running app = Apps.start(Apps.copy("instances", dir.resolve("counter")), Apps.Options.defaults());
             Barrier b = new Barrier()) {
            var one = async(app, "/count?port=" + b.port());
            var two = async(app, "/count?port=" + b.port());
            b.await(2);
            Map<String, Object> state = Json.object(owner(app, "/__micros/api/state").text());
            Map<String, Object> instances = (Map<String, Object>) ((Map<String, Object>) ((List<Object>) state.get("micros")).get(0)).get("instances");
            assertEquals(2L, instances.get("running"), "the dashboard counts both instances running: " + instances);
            assertEquals(2, ((List<Object>) instances.get("list")).size(), instances.toString());
            b.open();
            Map<String, Object> a = json(one.get()), c = json(two.get());
            assertEquals(1L, a.get("count"), "each execution has its own instance, its own globals");
            assertEquals(1L, c.get("count"));
            assertNotEquals(a.get("pid"), c.get("pid"));
            assertEquals(2, api(app).coldStarts());
            // the request log says which instance served each
            // (an entry is logged as its response ends: the client may read the answer first)
            await(() -> logged(app) >= 2, "both requests are logged");
            List<Object> log = (List<Object>) Json.object(owner(app, "/__micros/api/requests").text()).get("requests");
            Set<Object> served = new java.util.HashSet<>();
            for (Object e : log) served.add(((Map<String, Object>) e).get("instance"));
            assertEquals(Set.of(1L, 2L), served, log.toString());
            // a next request takes an idle instance (thawed when frozen): no third cold start
            assertEquals(2L, json(Http.get(app.port(), "/count")).get("count"));
            assertEquals(2, api(app).coldStarts());
        }
    }

    @Test
    void aRequestInFlightSurvivesAnotherRequestsTimeout() throws Exception {
        Apps.Options o = Apps.Options.defaults().limits(Duration.ofSeconds(6), 512L << 20, 1024, 5_767_168);
        try (Apps.Running app = Apps.start(Apps.copy("instances", dir.resolve("timeout")), o); Barrier b = new Barrier()) {
            var slow = async(app, "/sleep?s=120");
            await(() -> api(app).inFlight() == 1, "the slow request is in flight");
            Thread.sleep(3000); // half the timeout: the next request's own deadline comes well after this one's
            var other = async(app, "/count?port=" + b.port());
            b.await(1); // in flight on its own instance
            assertEquals(504, slow.get().status());
            b.open(); // only now may it answer: it was in flight when the first one timed out
            Http.Response r = other.get();
            assertEquals(200, r.status(), "the other request finished on its own instance: " + r.text());
            assertTrue(app.awaitLog("killing instance 1, which served it (the micro's other instances run on)"), app::output);
        }
    }

    @Test
    void twoConcurrent300MbRequestsBothSucceed() throws Exception {
        Limiter probe = Limiter.detect(RunConfig.Limits.SPACE, System.getenv(), w -> { });
        probe.close();
        Assumptions.assumeTrue(probe.mode() != Limiter.Mode.NONE, "the memory limit needs cgroups here: " + probe.reason());
        try (Apps.Running app = Apps.start(Apps.copy("instances", dir.resolve("memory")), Apps.Options.defaults()); Barrier b = new Barrier()) {
            var one = async(app, "/alloc?mb=300&port=" + b.port());
            var two = async(app, "/alloc?mb=300&port=" + b.port());
            b.await(2); // both hold their 300 MB now
            b.open();
            assertEquals(300L, json(one.get()).get("held_mb"), "512 MB for each execution, as on Space");
            assertEquals(300L, json(two.get()).get("held_mb"));
            assertTrue(!app.output().contains("out of memory"), app::output);
        }
    }

    @Test
    void pastTheCapRequestsWaitInOrderForAnInstance() throws Exception {
        try (Apps.Running app = Apps.start(Apps.copy("instances", dir.resolve("cap")), Apps.Options.defaults().instances(2)); Barrier b = new Barrier()) {
            var one = async(app, "/count?port=" + b.port());
            var two = async(app, "/count?port=" + b.port());
            b.await(2);
            var third = async(app, "/count");
            await(() -> api(app).waiting() == 1, "the third request waits for an instance");
            b.open();
            assertEquals(1L, json(one.get()).get("count"));
            assertEquals(1L, json(two.get()).get("count"));
            assertEquals(2L, json(third.get()).get("count"), "served by an instance that came free");
            assertEquals(2, api(app).coldStarts(), "no instance past the cap");
        }
    }

    @Test
    void aRequestWhoseClientLeftWhileWaitingInLineIsNeverSentToTheMicro() throws Exception {
        // a timeout past the test's own waits: the ghost cannot leave the line by waiting it out
        Apps.Options o = Apps.Options.defaults().instances(2).limits(Duration.ofSeconds(120), 512L << 20, 1024, 5_767_168);
        try (Apps.Running app = Apps.start(Apps.copy("instances", dir.resolve("left")), o); Barrier b = new Barrier()) {
            var one = async(app, "/count?port=" + b.port());
            var two = async(app, "/count?port=" + b.port());
            b.await(2); // both instances busy
            try (Socket ghost = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
                ghost.getOutputStream().write("GET /count HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                ghost.getOutputStream().flush();
                await(() -> api(app).waiting() == 1, "the ghost's request waits for an instance");
            } // its client leaves
            await(() -> api(app).waiting() == 0, "a request whose client left leaves the line");
            b.open();
            assertEquals(1L, json(one.get()).get("count"));
            assertEquals(1L, json(two.get()).get("count"));
            // each instance has counted the one request it ran: the ghost's never reached either
            try (Barrier c = new Barrier()) {
                var three = async(app, "/count?port=" + c.port());
                var four = async(app, "/count?port=" + c.port());
                c.await(2);
                c.open();
                assertEquals(2L, json(three.get()).get("count"), app.output());
                assertEquals(2L, json(four.get()).get("count"), app.output());
            }
            assertEquals(2, api(app).coldStarts());
        }
    }

    @Test
    void aRequestThatWaitsPastTheTimeoutForAnInstanceGets503SayingSo() throws Exception {
        Apps.Options o = Apps.Options.defaults().instances(2).limits(Duration.ofSeconds(3), 512L << 20, 1024, 5_767_168);
        try (Apps.Running app = Apps.start(Apps.copy("instances", dir.resolve("line")), o); Barrier first = new Barrier(); Barrier next = new Barrier()) {
            for (int i = 0; i < 2; i++) async(app, "/count?port=" + first.port()); // never let go: they time out
            first.await(2);
            // three in line for two instances: the two that time out leave them to two of these, whose executions
            // outlast the third one's wait (they begin after the first two time out): at least one waits in vain
            List<CompletableFuture<Http.Response>> line = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                line.add(async(app, "/count?port=" + next.port()));
                int n = i;
                await(() -> api(app).waiting() == n, n + " waiting");
            }
            Http.Response gaveUp = (Http.Response) CompletableFuture.anyOf(line.toArray(CompletableFuture[]::new)).get();
            assertEquals(503, gaveUp.status(), gaveUp.text() + app.output());
            next.open();
            int served = 0;
            for (var f : line) {
                Http.Response r = f.get();
                if (r.status() == 200) {
                    served++;
                    continue;
                }
                assertEquals(503, r.status(), r.text());
                assertEquals("micro \"api\" has all its 2 instances busy (--instances 2): this request waited 3s (the execution timeout) for one to come free"
                        + " and was not sent to it; raise --instances, or make requests shorter\n", r.text());
            }
            assertTrue(served <= 2, served + " served: " + app.output());
            assertTrue(api(app).coldStarts() <= 4, "never more than 2 instances at once: " + app.output());
        }
    }

    @Test
    void instancesOneSharesOneProcessAsBefore() throws Exception {
        Apps.Options o = Apps.Options.defaults().instances(1).limits(Duration.ofSeconds(6), 512L << 20, 1024, 5_767_168);
        try (Apps.Running app = Apps.start(Apps.copy("instances", dir.resolve("shared")), o); Barrier b = new Barrier()) {
            var one = async(app, "/count?port=" + b.port());
            var two = async(app, "/count?port=" + b.port());
            b.await(2);
            b.open();
            Map<String, Object> a = json(one.get()), c = json(two.get());
            assertEquals(Set.of(1L, 2L), Set.of(a.get("count"), c.get("count")), "one process, one counter");
            assertEquals(a.get("pid"), c.get("pid"));
            // a timeout ends the one process, and the request in flight beside it with it
            var slow = async(app, "/sleep?s=120");
            await(() -> api(app).inFlight() == 1, "the slow request is in flight");
            Thread.sleep(3000); // half the timeout: the next request's own deadline comes well after this one's
            try (Barrier d = new Barrier()) {
                var other = async(app, "/count?port=" + d.port());
                d.await(1);
                assertEquals(504, slow.get().status());
                assertEquals(502, other.get().status());
            }
            assertTrue(app.logged("killing the micro"), app::output);
        }
    }

    @Test
    void theCommandLineTakesInstancesAndRefusesABadValue() throws Exception {
        Path root = Apps.copy("instances", dir.resolve("cli"));
        for (String bad : List.of("0", "-1", "many", "100000")) {
            Jar.Result r = Jar.run(root, "run", "--instances", bad);
            assertEquals(2, r.exit(), r.all());
            assertTrue(r.err().strip().startsWith("micros: --instances " + bad + ": use a whole number from 1 to 256"), r.all());
            assertEquals(1, r.err().strip().lines().count(), "one sentence: " + r.all());
        }
        try (Jar.Proc p = Jar.start(root, Map.of(), "run", "--port", "0", "--public", "--instances", "1"); Barrier b = new Barrier()) {
            String line = p.await("is listening on", 20);
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
            var one = async(port, "/count?port=" + b.port());
            var two = async(port, "/count?port=" + b.port());
            b.await(2);
            b.open();
            assertEquals(Set.of(1L, 2L), Set.of(json(one.get()).get("count"), json(two.get()).get("count")), "--instances 1: one shared process");
        }
    }

    private static Http.Response get(int port, String target) {
        try {
            return Http.get(port, target);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
