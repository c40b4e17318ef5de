package micros.data.base;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * An item as a base's log holds it: its JSON text (as JsonText wrote it), parsed into a map only
 * when something reads it as one. An answer that only passes it on (a get, a query's page) has
 * JsonText write the text as it is: serving an item costs a copy of its bytes, not a parse and a
 * serialization. It cannot be changed (a change is a new item).
 */
final class StoredItem extends AbstractMap<String, Object> {
    private final byte[] text;
    private Map<String, Object> parsed;

    StoredItem(byte[] b, int from, int length) {
        text = Arrays.copyOfRange(b, from, from + length);
    }

    /** Appends the item's JSON text. */
    void appendTo(StringBuilder sb) {
        boolean ascii = true;
        for (byte c : text) {
            if (c < 0) {
                ascii = false;
                break;
            }
        }
        sb.append(new String(text, ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
    }

    private Map<String, Object> map() {
        if (parsed == null) parsed = Collections.unmodifiableMap(JsonBytes.item(text, 0, text.length));
        return parsed;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return map().entrySet();
    }

    @Override
    public Object get(Object key) {
        return map().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return map().containsKey(key);
    }

    @Override
    public int size() {
        return map().size();
    }
}
