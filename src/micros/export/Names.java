package micros.export;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import micros.spacefile.App.Micro;

/**
 * Kubernetes names (RFC 1035 labels: lowercase letters, digits and '-', starting with a letter,
 * at most 63) and image references (the registry's grammar), as the export makes and checks them.
 */
public final class Names {
    /** What the gateway's objects and image are called after the app's name: no micro may take it. */
    static final String GATEWAY = "gateway";
    private static final String DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String DOMAIN = DOMAIN_PART + "(?:\\." + DOMAIN_PART + ")*(?::[0-9]+)?";
    private static final String PATH_PART = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String TAG = "[\\w][\\w.-]{0,127}";
    private static final String DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    private static final String REFERENCE = "(?:" + DOMAIN + "/)?" + PATH_PART + "(?:/" + PATH_PART + ")*(?::" + TAG + ")?(?:@" + DIGEST + ")?";

    private Names() {}

    static String dns(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toLowerCase(java.util.Locale.ROOT).toCharArray()) {
            boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
            if (ok) b.append(c);
            else if (b.length() > 0 && b.charAt(b.length() - 1) != '-') b.append('-');
        }
        while (b.length() > 0 && b.charAt(b.length() - 1) == '-') b.setLength(b.length() - 1);
        if (b.length() == 0 || !Character.isLetter(b.charAt(0))) b.insert(0, "app-");
        return b.length() > 40 ? b.substring(0, 40).replaceAll("-+$", "") : b.toString(); // room for "-micro" suffixes
    }

    static String join(String a, String b) {
        String s = a + "-" + b;
        return s.length() > 63 ? s.substring(0, 63).replaceAll("-+$", "") : s;
    }

    /**
     * The sentence refusing an app two of whose micros would have one Kubernetes name (api_v2 and
     * api-v2: one Service, one image, one build stage), or a micro the gateway's name; else null.
     */
    public static String clash(String app, List<Micro> micros) {
        Map<String, String> taken = new LinkedHashMap<>();
        for (Micro m : micros) {
            String name = join(app, dns(m.name()));
            if (name.equals(join(app, GATEWAY)))
                return "micro " + m.name() + " would be named " + name + " in Kubernetes, the name of the app's gateway: rename it in the Spacefile, then export again";
            String other = taken.putIfAbsent(name, m.name());
            if (other != null)
                return "micros " + other + " and " + m.name() + " would both be named " + name + " in Kubernetes (names there are lowercase letters,"
                        + " digits and '-'): rename one of them in the Spacefile, then export again";
        }
        return null;
    }

    /** Whether {@code s} is an image reference (name, optional tag and digest) a registry accepts. */
    public static boolean imageReference(String s) {
        return s.length() <= 255 && s.matches(REFERENCE);
    }

    /** Whether {@code s} (ending with '/') is a registry and folders to put before an image's name. */
    public static boolean imagePrefix(String s) {
        return s.isEmpty() || s.length() <= 200 && s.endsWith("/") && (s + "x").matches("(?:" + DOMAIN + "/)?(?:" + PATH_PART + "/)*x");
    }

    /** Whether {@code s} is an image tag. */
    public static boolean imageTag(String s) {
        return s.matches(TAG);
    }

    /** Whether {@code s} is a Kubernetes namespace name (an RFC 1123 label). */
    public static boolean namespace(String s) {
        return s.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    }
}
