package micros.data.base;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * Deta Base's query language: a list of objects, ORed; the entries of one object ANDed. An entry
 * is {@code "path?op": value} with a dotted path and one of Deta's operators (none = equal).
 */
record Query(List<List<Cond>> any) {
    enum Op { EQ, NE, LT, GT, LTE, GTE, PFX, R, CONTAINS, NOT_CONTAINS }

    /** One condition; {@code parts} is the dotted path split once (null: no dot), not at every item. */
    record Cond(String path, Op op, Object value, List<String> parts) {
        /** The value at this condition's path in the item, or Items.MISSING (as Items.at). */
        Object in(Map<String, Object> item) {
            if (item.containsKey(path)) return item.get(path);
            if (parts == null) return Items.MISSING;
            Object cur = item;
            for (int i = 0; i < parts.size(); i++) {
                if (!(cur instanceof Map<?, ?> m) || !m.containsKey(parts.get(i))) return Items.MISSING;
                cur = m.get(parts.get(i));
            }
            return cur;
        }
    }

    static final Query ALL = new Query(List.of());

    /**
     * A query's size: Deta answered "Bad query" past 25 objects; these are far above any app's, and
     * bound the work of one page (up to 1 MB of items, each tested against every condition; a
     * substring search costs up to the item's text times the searched text).
     */
    static final int MAX_OBJECTS = 1_000, MAX_CONDITIONS = 1_000, MAX_CONTAINS_CHARS = 2_000;

    /** From the request's "query" value (null or absent: everything). */
    @SuppressWarnings("unchecked")
    static Query parse(Object q) {
        if (q == null) return ALL;
        if (q instanceof Map) q = List.of(q);
        if (!(q instanceof List<?> list)) throw BaseError.bad("Bad query: not a list of objects");
        if (list.size() > MAX_OBJECTS) throw BaseError.bad("Bad query: more than " + MAX_OBJECTS + " objects in the list");
        List<List<Cond>> any = new ArrayList<>();
        Cond keyCond = null;
        int conditions = 0, keyed = 0;
        long searched = 0;
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m)) throw BaseError.bad("Bad query: not a list of objects");
            conditions += m.size();
            if (conditions > MAX_CONDITIONS) throw BaseError.bad("Bad query: more than " + MAX_CONDITIONS + " conditions in all");
            List<Cond> all = new ArrayList<>();
            Cond keyHere = null;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                Cond c = cond(e.getKey(), e.getValue());
                if ((c.op == Op.CONTAINS || c.op == Op.NOT_CONTAINS) && c.value instanceof String text && (searched += text.length()) > MAX_CONTAINS_CHARS)
                    throw BaseError.bad("Bad query: more than " + MAX_CONTAINS_CHARS + " characters of ?contains text in all");
                if (c.path.equals("key")) {
                    if (keyHere != null) throw BaseError.bad("Bad query: only one condition on 'key' is supported");
                    if (keyCond != null && !keyCond.equals(c)) throw BaseError.bad("Bad query: different conditions on 'key' are not supported");
                    keyHere = keyCond = c;
                }
                all.add(c);
            }
            if (keyHere != null) keyed++;
            any.add(all);
        }
        // Deta's key queries may not mix: the key condition is in every object of the list or in none
        if (keyed > 0 && keyed < any.size()) throw BaseError.bad("Bad query: a condition on 'key' must be in every object of the list or in none");
        return new Query(any);
    }

    private static Cond cond(String field, Object value) {
        int q = field.lastIndexOf('?');
        String path = q < 0 ? field : field.substring(0, q);
        Op op = q < 0 ? Op.EQ : switch (field.substring(q + 1)) {
            case "ne" -> Op.NE;
            case "lt", "<" -> Op.LT; // the symbols: aliases the Node SDK's tests use
            case "gt", ">" -> Op.GT;
            case "lte", "<=" -> Op.LTE;
            case "gte", ">=" -> Op.GTE;
            case "pfx" -> Op.PFX;
            case "r" -> Op.R;
            case "contains" -> Op.CONTAINS;
            case "not_contains", "!contains" -> Op.NOT_CONTAINS;
            default -> throw BaseError.bad("Bad query: unknown operator '" + field.substring(q + 1) + "' in '" + field + "'");
        };
        if (path.isEmpty()) throw BaseError.bad("Bad query: empty attribute name in '" + field + "'");
        if (op == Op.R && !(value instanceof List<?> l && l.size() == 2))
            throw BaseError.bad("Bad query: '" + field + "' needs a list of two values");
        if (op == Op.PFX && !(value instanceof String)) throw BaseError.bad("Bad query: '" + field + "' needs a string");
        if (path.equals("key")) {
            if (op == Op.CONTAINS || op == Op.NOT_CONTAINS) throw BaseError.bad("Bad query: contains and not_contains are not supported on 'key'");
            boolean strings = op == Op.R ? ((List<?>) value).stream().allMatch(x -> x instanceof String) : value instanceof String;
            if (!strings) throw BaseError.bad("Bad query: conditions on 'key' need string values");
        }
        return new Cond(path, op, value, path.indexOf('.') < 0 ? null : List.of(path.split("\\.", -1)));
    }

    /** Bounds on the key that every item matching this query obeys (a null bound: none). */
    record KeyRange(String lo, boolean loIn, String hi, boolean hiIn) {
        static final KeyRange ALL = new KeyRange(null, false, null, false);

        /** Also after {@code last} (the next ascending page); a {@code last} outside the range is no error. */
        KeyRange after(String last) {
            return lo != null && lo.compareTo(last) > 0 ? this : new KeyRange(last, false, hi, hiIn);
        }

        /** Also before {@code last} (the next descending page). */
        KeyRange before(String last) {
            return hi != null && hi.compareTo(last) < 0 ? this : new KeyRange(lo, loIn, last, false);
        }

        boolean empty() {
            if (lo == null || hi == null) return false;
            int c = lo.compareTo(hi);
            return c > 0 || c == 0 && !(loIn && hiIn);
        }

        /** The part of a map within the range (not {@link #empty}). */
        <V> NavigableMap<String, V> of(NavigableMap<String, V> m) {
            if (lo != null) m = m.tailMap(lo, loIn);
            if (hi != null) m = m.headMap(hi, hiIn);
            return m;
        }
    }

    /**
     * When every OR branch has the (single, validated) condition on "key", the items to look at
     * are one range of keys: the query walks only that range, as Deta's key index did.
     */
    KeyRange keyRange() {
        Cond key = null;
        for (List<Cond> all : any) {
            Cond here = null;
            for (Cond c : all) if (c.path.equals("key")) here = c;
            if (here == null) return KeyRange.ALL;
            key = here;
        }
        if (key == null) return KeyRange.ALL;
        return switch (key.op) {
            case EQ -> new KeyRange((String) key.value, true, (String) key.value, true);
            case PFX -> new KeyRange((String) key.value, true, key.value + "\uffff", false);
            case GT -> new KeyRange((String) key.value, false, null, false);
            case GTE -> new KeyRange((String) key.value, true, null, false);
            case LT -> new KeyRange(null, false, (String) key.value, false);
            case LTE -> new KeyRange(null, false, (String) key.value, true);
            case R -> new KeyRange((String) ((List<?>) key.value).get(0), true, (String) ((List<?>) key.value).get(1), true);
            default -> KeyRange.ALL;
        };
    }

    boolean matches(Map<String, Object> item) {
        if (any.isEmpty()) return true;
        for (List<Cond> all : any) {
            boolean ok = true;
            for (Cond c : all) {
                if (!test(c, c.in(item))) {
                    ok = false;
                    break;
                }
            }
            if (ok) return true;
        }
        return false;
    }

    private static boolean test(Cond c, Object v) {
        boolean missing = v == Items.MISSING;
        return switch (c.op) {
            case EQ -> !missing && same(v, c.value);
            case NE -> missing || !same(v, c.value);
            case LT -> !missing && order(v, c.value) < 0;
            case GT -> !missing && order(v, c.value) > 0 && order(v, c.value) != NONE;
            case LTE -> !missing && order(v, c.value) <= 0;
            case GTE -> !missing && order(v, c.value) >= 0 && order(v, c.value) != NONE;
            case PFX -> v instanceof String s && s.startsWith((String) c.value);
            case R -> !missing && order(v, ((List<?>) c.value).get(0)) >= 0 && order(v, ((List<?>) c.value).get(0)) != NONE
                    && order(v, ((List<?>) c.value).get(1)) <= 0;
            case CONTAINS -> contains(v, c.value);
            case NOT_CONTAINS -> !contains(v, c.value);
        };
    }

    /**
     * A substring of a string, or a member of a list, as Deta documented it: for strings only
     * (a list's numbers, booleans or objects are never found; store them as strings to search).
     */
    private static boolean contains(Object v, Object want) {
        if (!(want instanceof String w)) return false;
        if (v instanceof String s) return s.contains(w);
        if (v instanceof List<?> l) {
            for (Object x : l) if (w.equals(x)) return true;
        }
        return false;
    }

    /** Not comparable (different types): no ordering operator matches. */
    private static final int NONE = Integer.MAX_VALUE;

    /** Numbers with numbers, strings with strings; NONE otherwise (so < and <= fail too: see the callers). */
    private static int order(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) return Long.compare(x, y);
        if (a instanceof Number x && b instanceof Number y) return Double.compare(x.doubleValue(), y.doubleValue());
        if (a instanceof String x && b instanceof String y) return Integer.signum(x.compareTo(y));
        return NONE;
    }

    /** Deep equality where 1 and 1.0 are the same number. */
    static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            if (a instanceof Long l && b instanceof Long m) return l.longValue() == m.longValue();
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof Map<?, ?> m && b instanceof Map<?, ?> n) {
            if (m.size() != n.size()) return false;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!n.containsKey(e.getKey()) || !same(e.getValue(), n.get(e.getKey()))) return false;
            }
            return true;
        }
        if (a instanceof List<?> l && b instanceof List<?> k) {
            if (l.size() != k.size()) return false;
            for (int i = 0; i < l.size(); i++) if (!same(l.get(i), k.get(i))) return false;
            return true;
        }
        return a == null ? b == null : a.equals(b);
    }
}
