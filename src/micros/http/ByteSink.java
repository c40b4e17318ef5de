package micros.http;

/** Somewhere bytes of a message head are assembled. */
public interface ByteSink {
    void put(byte b);

    void put(byte[] b, int off, int len);
}
