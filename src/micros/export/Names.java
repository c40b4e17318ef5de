package micros.export;

/** Kubernetes names (RFC 1035 labels: lowercase letters, digits and '-', starting with a letter, at most 63). */
final class Names {
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
}
