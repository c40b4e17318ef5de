package micros.data.base;

import java.nio.file.Path;
import micros.http.Server;

/** A Base server in its own JVM, for the kill -9 test: prints its port, then serves until killed. */
public final class BaseChild {
    public static void main(String[] args) throws Exception {
        BaseService service = new BaseService(Path.of(args[0]), "p1", "p1_key");
        Server server = Server.start("127.0.0.1", 0, service, Server.Settings.DEFAULT, (ex, e) -> { });
        System.out.println("port " + server.port());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
