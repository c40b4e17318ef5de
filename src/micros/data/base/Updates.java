package micros.data.base;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Deta's PATCH /items/{key}: set, increment, append, prepend and delete, on dotted paths. */
final class Updates {
    private final Map<String, Object> set, increment, append, prepend;
    private final List<String> delete;

    private Updates(Map<String, Object> set, Map<String, Object> increment, Map<String, Object> append,
                    Map<String, Object> prepend, List<String> delete) {
        this.set = set;
        this.increment = increment;
        this.append = append;
        this.prepend = prepend;
        this.delete = delete;
    }

    /** Checks the request body; the rules that need no item (key untouched, no conflicts). */
    @SuppressWarnings("unchecked")
    static Updates parse(Object body) {
        if (!(body instanceof Map<?, ?> m)) throw BaseError.bad("Request body must be an object");
        Map<String, Object> b = (Map<String, Object>) m;
        Updates u = new Updates(object(b, "set"), object(b, "increment"), object(b, "append"), object(b, "prepend"), strings(b.get("delete")));
        Set<String> seen = new HashSet<>();
        for (Map<String, Object> part : List.of(u.set, u.increment, u.append, u.prepend)) {
            for (String attr : part.keySet()) claim(seen, attr);
        }
        for (String attr : u.delete) claim(seen, attr);
        if (seen.isEmpty()) throw BaseError.bad("Nothing to update: set, increment, append, prepend and delete are all empty");
        for (Map.Entry<String, Object> e : u.increment.entrySet()) {
            if (!(e.getValue() instanceof Long || e.getValue() instanceof Double)) throw BaseError.bad("Increment value of '" + e.getKey() + "' must be a number");
        }
        // Deta's 16 digits for every number the update brings (so a sum of two never overflows a
        // long); numbers already stored are not looked at again
        for (Map<String, Object> part : List.of(u.set, u.increment, u.append, u.prepend)) Items.checkNumbers(part, true);
        for (Map<String, Object> part : List.of(u.append, u.prepend)) {
            for (Map.Entry<String, Object> e : part.entrySet()) {
                if (!(e.getValue() instanceof List)) throw BaseError.bad("Value to append or prepend to '" + e.getKey() + "' must be a list");
            }
        }
        return u;
    }

    private static void claim(Set<String> seen, String attr) {
        if (attr.isEmpty()) throw BaseError.bad("Attribute name is empty");
        if (attr.equals("key") || attr.startsWith("key.")) throw BaseError.bad("Cannot update or delete the key");
        if (!seen.add(attr)) throw BaseError.bad("Conflicting updates on attribute '" + attr + "'");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> body, String name) {
        Object v = body.get(name);
        if (v == null) return Map.of();
        if (!(v instanceof Map)) throw BaseError.bad("'" + name + "' must be an object");
        return (Map<String, Object>) v;
    }

    private static List<String> strings(Object v) {
        if (v == null) return List.of();
        if (!(v instanceof List<?> l)) throw BaseError.bad("'delete' must be a list of attribute names");
        List<String> out = new ArrayList<>();
        for (Object x : l) {
            if (!(x instanceof String s)) throw BaseError.bad("'delete' must be a list of attribute names");
            out.add(s);
        }
        return out;
    }

    /** Applies the updates to a copy of the item; the caller checks size and number sizes of the result. */
    @SuppressWarnings("unchecked")
    Map<String, Object> applyTo(Map<String, Object> stored) {
        Map<String, Object> item = (Map<String, Object>) Items.copy(stored);
        set.forEach((path, v) -> put(item, path, Items.copy(v)));
        increment.forEach((path, by) -> {
            Object cur = Items.at(item, path);
            Object sum;
            if (cur == Items.MISSING || cur == null) sum = by;
            else if (cur instanceof Long a && by instanceof Long b) sum = add(a, b);
            else if (cur instanceof Number a) sum = Items.to16Digits(a.doubleValue() + ((Number) by).doubleValue());
            else throw BaseError.bad("Cannot increment '" + path + "': it is not a number");
            put(item, path, sum);
        });
        append.forEach((path, v) -> put(item, path, join(item, path, (List<Object>) v, false)));
        prepend.forEach((path, v) -> put(item, path, join(item, path, (List<Object>) v, true)));
        for (String path : delete) remove(item, path);
        return item;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> join(Map<String, Object> item, String path, List<Object> v, boolean front) {
        Object cur = Items.at(item, path);
        List<Object> out = new ArrayList<>();
        if (cur != Items.MISSING && cur != null) {
            if (!(cur instanceof List<?> l)) throw BaseError.bad("Cannot append or prepend to '" + path + "': it is not a list");
            out.addAll(l);
        }
        out.addAll(front ? 0 : out.size(), (List<Object>) Items.copy(v));
        return out;
    }

    /** Both within 16 digits when stored and asked for; a sum past a long is Deta's 400 all the same. */
    private static long add(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw Items.tooLong();
        }
    }

    /**
     * The object holding a dotted path's last part, walked a part at a time (a path of a million
     * dots costs no more than the item is deep); a BaseError when a part is missing or not an object.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> parent(Map<String, Object> item, String path, boolean required) {
        Map<String, Object> cur = item;
        for (int from = 0, dot; (dot = path.indexOf('.', from)) >= 0; from = dot + 1) {
            String part = path.substring(from, dot);
            Object next = cur.get(part);
            if (!(next instanceof Map)) {
                if (!required) return null;
                throw BaseError.bad("Cannot set '" + path + "': attribute '" + part + "' does not exist or is not an object");
            }
            cur = (Map<String, Object>) next;
        }
        return cur;
    }

    private static String last(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    private static void put(Map<String, Object> item, String path, Object v) {
        parent(item, path, true).put(last(path), v);
    }

    private static void remove(Map<String, Object> item, String path) {
        Map<String, Object> p = parent(item, path, false);
        if (p != null) p.remove(last(path)); // nothing there to delete otherwise
    }
}
