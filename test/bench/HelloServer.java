import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/** The start-up baseline: a hello-world JDK HttpServer, as small as a Java web server gets. */
public class HelloServer {
    public static void main(String[] args) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
        byte[] hello = "hello".getBytes();
        s.createContext("/", ex -> {
            ex.sendResponseHeaders(200, hello.length);
            ex.getResponseBody().write(hello);
            ex.close();
        });
        s.setExecutor(Executors.newFixedThreadPool(4));
        s.start();
    }
}
