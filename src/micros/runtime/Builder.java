package micros.runtime;

/** How a micro's `src` names its folder in the project: relative to the Spacefile's folder, even with a leading '/'. */
public final class Builder {
    private Builder() {}

    public static String relative(String p) {
        String s = p.strip();
        while (s.startsWith("/")) s = s.substring(1);
        return s.isEmpty() ? "." : s;
    }
}
