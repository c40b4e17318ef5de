package micros.data.tls;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The names micros' CA may vouch for: always localhost (and by RFC 5280 every name under it,
 * {@code *.localhost}), 127.0.0.0/8 and ::1, plus the names a run listens by ({@code --host},
 * {@code --data-name}). Written into the CA as a critical NameConstraints extension (RFC 5280
 * §4.2.1.10), which keytool takes only as raw DER: a certificate it signs for any other name
 * is refused by clients (OpenSSL, NSS, Go, the JDK), so importing the CA trusts it for these names alone.
 */
final class CaNames {
    private static final String NAME_CONSTRAINTS = "2.5.29.30";
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1");
    private static final Set<String> WILDCARD = Set.of("0.0.0.0", "::", "0:0:0:0:0:0:0:0", "");

    private CaNames() {}

    /** The names beyond the loopback ones, normalised (no brackets, lower case, no wildcard addresses), sorted. */
    static TreeSet<String> extra(List<String> hosts) {
        TreeSet<String> names = new TreeSet<>();
        for (String host : hosts) {
            if (host == null) continue;
            String h = host.strip().toLowerCase(Locale.ROOT);
            if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
            if (!WILDCARD.contains(h) && !LOOPBACK.contains(h)) names.add(h);
        }
        return names;
    }

    static boolean ip(String name) {
        return name.contains(":") || name.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    }

    /** keytool's {@code -ext san=...} value for a server certificate naming localhost, the loopback addresses and {@code extra}. */
    static String san(Set<String> extra) {
        StringBuilder san = new StringBuilder("dns:localhost,ip:127.0.0.1,ip:::1");
        for (String n : extra) san.append(ip(n) ? ",ip:" : ",dns:").append(n);
        return san.toString();
    }

    /** keytool's {@code -ext} value for the CA: {@code 2.5.29.30:critical=<hex DER of NameConstraints>}. */
    static String constraints(Set<String> extra) {
        ByteArrayOutputStream subtrees = new ByteArrayOutputStream();
        subtree(subtrees, 0x82, "localhost".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        subtree(subtrees, 0x87, new byte[] {127, 0, 0, 0, (byte) 255, 0, 0, 0}); // 127.0.0.0/8
        byte[] v6 = new byte[32];
        v6[15] = 1;
        for (int i = 16; i < 32; i++) v6[i] = (byte) 255; // ::1/128
        subtree(subtrees, 0x87, v6);
        for (String n : extra) {
            if (!ip(n)) {
                subtree(subtrees, 0x82, n.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                continue;
            }
            byte[] a = address(n), range = new byte[a.length * 2];
            System.arraycopy(a, 0, range, 0, a.length);
            for (int i = a.length; i < range.length; i++) range[i] = (byte) 255; // the one address
            subtree(subtrees, 0x87, range);
        }
        byte[] permitted = tlv(0xA0, subtrees.toByteArray()); // permittedSubtrees [0], implicitly tagged
        return NAME_CONSTRAINTS + ":critical=" + HexFormat.of().formatHex(tlv(0x30, permitted));
    }

    private static byte[] address(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + literal, e);
        }
    }

    /** GeneralSubtree ::= SEQUENCE { base GeneralName } (dNSName [2] or iPAddress [7], implicitly tagged). */
    private static void subtree(ByteArrayOutputStream out, int tag, byte[] value) {
        out.writeBytes(tlv(0x30, tlv(tag, value)));
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(value.length + 4);
        b.write(tag);
        int n = value.length;
        if (n < 0x80) b.write(n);
        else if (n < 0x100) {
            b.write(0x81);
            b.write(n);
        } else {
            b.write(0x82);
            b.write(n >> 8);
            b.write(n & 0xff);
        }
        b.writeBytes(value);
        return b.toByteArray();
    }
}
