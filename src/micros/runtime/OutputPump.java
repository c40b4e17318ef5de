package micros.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/** Reads a process's stdout or stderr line by line, so none of it is lost; very long lines are split. */
public final class OutputPump implements Runnable {
    private static final int MAX_LINE = 16 * 1024;
    private final InputStream in;
    private final String stream;
    private final BiConsumer<String, String> sink;

    private OutputPump(InputStream in, String stream, BiConsumer<String, String> sink) {
        this.in = in;
        this.stream = stream;
        this.sink = sink;
    }

    /** Starts a daemon thread that forwards each line as (stream, text) until the stream ends. */
    public static Thread start(String name, InputStream in, String stream, BiConsumer<String, String> sink) {
        Thread t = new Thread(new OutputPump(in, stream, sink), "micro-" + name + "-" + stream);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    public void run() {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n' || line.size() >= MAX_LINE) {
                        emit(line);
                        if (b == '\n') continue;
                    }
                    line.write(b);
                }
            }
        } catch (IOException e) {
            // the process ended and its pipe closed
        }
        if (line.size() > 0) emit(line);
    }

    private void emit(ByteArrayOutputStream line) {
        String s = line.toString(StandardCharsets.UTF_8);
        if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
        sink.accept(stream, s);
        line.reset();
    }
}
