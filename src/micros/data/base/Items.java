package micros.data.base;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Rules every stored item obeys (Deta's documented limits), key generation, and dotted paths. */
final class Items {
    private Items() {}

    static final int MAX_ITEM_BYTES = 400 * 1024;
    static final int MAX_PUT_ITEMS = 25;
    /**
     * How deep objects and lists nest in an item (the item itself is level 1). Deta documented no
     * limit; no real app nests 100 levels, and every walk of an item (copy, size, query, update)
     * recurses once per level on the data server's small-stack threads. Within Json.MAX_DEPTH with
     * room for the request or log record around the item.
     */
    static final int MAX_DEPTH = 100;
    static final String TTL = "__expires";
    private static final long MAX_INT = 9_999_999_999_999_999L; // 16 digits
    /** Made at first use: setting up SecureRandom costs tens of ms, not to be paid at every start. */
    private static final class Random {
        static final SecureRandom RANDOM = new SecureRandom();
    }
    private static final char[] KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    /** A 12-character key, as Deta generated when an item came without one. */
    static String newKey() {
        char[] k = new char[12];
        for (int i = 0; i < k.length; i++) k[i] = KEY_CHARS[Random.RANDOM.nextInt(KEY_CHARS.length)];
        return new String(k);
    }

    /**
     * Checks an item from a request and gives it a key when it has none. Returns the item as stored
     * (a copy).
     */
    static Map<String, Object> prepare(Object raw) {
        return prepare(raw, true);
    }

    /**
     * As {@link #prepare}, for an item of a Data Export: a number with more than 16 significant
     * digits that an earlier micros stored is kept as it is (its export must import again).
     */
    static Map<String, Object> prepareImported(Object raw) {
        return prepare(raw, false);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> prepare(Object raw, boolean digits) {
        if (!(raw instanceof Map)) throw BaseError.bad("Item must be an object");
        Map<String, Object> item = new LinkedHashMap<>((Map<String, Object>) raw);
        Object key = item.get("key");
        if (key == null) {
            // the key first, as Deta answered
            Map<String, Object> keyed = new LinkedHashMap<>();
            keyed.put("key", newKey());
            item.remove("key");
            keyed.putAll(item);
            item = keyed;
        } else if (!(key instanceof String s)) {
            throw BaseError.bad("Key must be a string");
        } else if (s.isEmpty()) {
            throw BaseError.bad("Key is empty");
        }
        check(item, digits);
        return item;
    }

    /**
     * Nesting, size, numbers and the TTL field of a whole item; {@code digits}: whether a number
     * may also not need more than 16 significant digits (otherwise its size alone is checked).
     */
    static int check(Map<String, Object> item, boolean digits) {
        if (deeperThan(item, MAX_DEPTH)) throw BaseError.bad("Item nests objects and lists deeper than " + MAX_DEPTH + " levels");
        checkNumbers(item, digits);
        Object ttl = item.get(TTL);
        if (ttl != null && !(ttl instanceof Long || ttl instanceof Double)) throw BaseError.bad("'__expires' must be a number");
        int size = JsonText.write(item).getBytes(StandardCharsets.UTF_8).length;
        if (size > MAX_ITEM_BYTES) throw BaseError.bad("Item size exceeds 400KB limit");
        return size;
    }

    /** Whether v nests more than {@code levels} objects and lists; looks no deeper than that. */
    private static boolean deeperThan(Object v, int levels) {
        if (v instanceof Map<?, ?> m) {
            if (levels == 0) return true;
            for (Object x : m.values()) if (deeperThan(x, levels - 1)) return true;
        } else if (v instanceof List<?> l) {
            if (levels == 0) return true;
            for (Object x : l) if (deeperThan(x, levels - 1)) return true;
        }
        return false;
    }

    /**
     * Throws Deta's 400 for a number beyond 16 digits anywhere in v: an integer of 17 digits or
     * more, and (with {@code digits}) a fraction that needs more than 16 significant digits, such
     * as 0.12345678901234567, which a double would otherwise keep as ...566.
     */
    static void checkNumbers(Object v, boolean digits) {
        if (v instanceof Long l) {
            if (l > MAX_INT || l < -MAX_INT) throw tooLong();
        } else if (v instanceof Double d) {
            if (Math.abs(d) > MAX_INT || digits && !within16Digits(d)) throw tooLong();
        } else if (v instanceof Map<?, ?> m) {
            for (Object x : m.values()) checkNumbers(x, digits);
        } else if (v instanceof List<?> l) {
            for (Object x : l) checkNumbers(x, digits);
        }
    }

    private static final MathContext SIXTEEN = new MathContext(16, RoundingMode.HALF_EVEN);

    /**
     * Whether a decimal of at most 16 significant digits reads as d: what the client wrote had no
     * more (JSON writers give the shortest such decimal). Java's own digits decide most values;
     * only when they are 17 is the exact value rounded to 16 and compared.
     */
    static boolean within16Digits(double d) {
        return significantDigits(Double.toString(d)) <= 16 || to16Digits(d) == d;
    }

    /** The nearest double to d's value rounded to 16 significant digits (a sum such as 0.1 + 0.2 is 0.3, as in Deta's decimals). */
    static double to16Digits(double d) {
        return new BigDecimal(d).round(SIXTEEN).doubleValue();
    }

    /** Digits of Double.toString's mantissa without leading or trailing zeros ("1.0E-7": 1). */
    private static int significantDigits(String s) {
        int end = s.indexOf('E');
        if (end < 0) end = s.length();
        int first = -1, last = -1;
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c >= '1' && c <= '9') {
                if (first < 0) first = i;
                last = i;
            }
        }
        if (first < 0) return 0;
        int n = 0;
        for (int i = first; i <= last; i++) if (s.charAt(i) != '.') n++;
        return n;
    }

    static BaseError tooLong() {
        return BaseError.bad("Number exceeds the maximum of 16 digits: store larger numbers as strings");
    }

    /** Whether the item's __expires lies at or before now (seconds since the epoch). */
    static boolean expired(Map<String, Object> item, double nowSeconds) {
        Object t = item.get(TTL);
        return t instanceof Number n && n.doubleValue() <= nowSeconds;
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /**
     * The value at a dotted path ("profile.age"), or MISSING. Walks the path a part at a time, so
     * a path of a million dots costs no more than the item is deep.
     */
    static Object at(Map<String, Object> item, String path) {
        if (item.containsKey(path)) return item.get(path);
        Object cur = item;
        for (int from = 0; ; ) {
            int dot = path.indexOf('.', from);
            String part = dot < 0 ? path.substring(from) : path.substring(from, dot);
            if (!(cur instanceof Map<?, ?> m) || !m.containsKey(part)) return MISSING;
            cur = m.get(part);
            if (dot < 0) return cur;
            from = dot + 1;
        }
    }

    static final Object MISSING = new Object();

    /** A deep copy, so a caller can change it without touching the stored item. */
    @SuppressWarnings("unchecked")
    static Object copy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) out.put((String) e.getKey(), copy(e.getValue()));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) out.add(copy(x));
            return out;
        }
        return v;
    }
}
