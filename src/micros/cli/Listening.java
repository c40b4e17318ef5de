package micros.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;

import micros.util.UserError;

/**
 * --host and --port checked when the options are read, before any install or build runs: an
 * address that does not resolve or is not this machine's is a configuration problem (exit 2),
 * a port another program holds is a runtime one (exit 1). The gateway binds for real later.
 */
final class Listening {
    private Listening() {}

    static void check(String host, int port) {
        InetAddress address = resolve(host);
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.bind(new InetSocketAddress(address, port));
        } catch (BindException e) {
            String why = String.valueOf(e.getMessage());
            if (why.contains("in use"))
                throw UserError.runtime("port " + port + " on " + host + " is already in use: stop the program using it, or pass --port N (--port 0 picks a free one)");
            if (why.contains("assign requested address"))
                throw UserError.config("--host " + host + ": not an address of this machine (use 127.0.0.1, 0.0.0.0 for every interface, or one of its own addresses)");
            throw UserError.runtime("cannot listen on " + host + ":" + port + ": " + why);
        } catch (IOException | SecurityException e) {
            throw UserError.runtime("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
    }

    private static InetAddress resolve(String host) {
        if (host.isBlank()) throw UserError.config("--host: give an address to listen on, such as 127.0.0.1 or 0.0.0.0");
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw UserError.config("--host " + host + ": not an IP address or a host name that resolves (use 127.0.0.1, or 0.0.0.0 for every interface)");
        }
    }
}
