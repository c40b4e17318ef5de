package micros.data.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import micros.util.Json;
import org.junit.jupiter.api.Test;

/**
 * The in-memory index and the byte-level readers it rests on, against plain models: a TreeMap for
 * the index (random puts and deletes, split and emptied chunks, wide and surrogate keys, walks in
 * both directions over random ranges, the loader's replay of changes in log order), Json.parse
 * for JsonBytes, and a record's own contents for LogRecords.
 */
class KeyIndexTest {
    private static final String[] ALPHABET = {"a", "b", "k", "z", "\u00e9", "\u00ff", "\u0100", "\u4e2d", "\ud83d\ude00", "\ud800", "\uffff", "0", "~"};

    private static String key(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + r.nextInt(r.nextInt(10) == 0 ? 12 : 4);
        for (int i = 0; i < n; i++) sb.append(ALPHABET[r.nextInt(r.nextInt(4) == 0 ? ALPHABET.length : 4)]);
        return sb.toString();
    }

    record Where(long place, double expires) {}

    @Test
    void theIndexAgreesWithASortedMapThroughRandomChanges() {
        Random r = new Random(26);
        KeyIndex index = new KeyIndex();
        TreeMap<String, Where> model = new TreeMap<>();
        for (int step = 0; step < 60_000; step++) {
            String k = key(r);
            if (r.nextInt(3) == 0) {
                Where old = model.remove(k);
                assertEquals(old == null ? -1 : KeyIndex.length(old.place), index.remove(k));
            } else {
                Where w = new Where(KeyIndex.place(r.nextInt(1 << 30), 1 + r.nextInt(400_000)), r.nextInt(5) == 0 ? r.nextInt(100) : KeyIndex.NEVER);
                Where old = model.put(k, w);
                assertEquals(old == null ? -1 : KeyIndex.length(old.place), index.put(k, w.place, w.expires));
            }
            if (step % 5_000 == 0) agree(index, model, r);
        }
        agree(index, model, r);
        for (String k : List.copyOf(model.keySet())) if (r.nextInt(10) > 0) assertTrue(index.remove(k) >= 0); // chunks emptied and dropped
        model.keySet().retainAll(keysOf(index, false));
        agree(index, model, r);
    }

    private static List<String> keysOf(KeyIndex index, boolean desc) {
        List<String> out = new ArrayList<>();
        KeyIndex.Cursor c = index.cursor(null, false, null, false, desc);
        while (c.next()) out.add(c.key());
        return out;
    }

    private static void agree(KeyIndex index, TreeMap<String, Where> model, Random r) {
        assertEquals(model.size(), index.count());
        assertEquals(model.values().stream().mapToLong(w -> KeyIndex.length(w.place)).sum(), index.bytes());
        assertEquals(model.values().stream().filter(w -> w.expires > 50).count(), index.countLive(50));
        assertEquals(model.entrySet().stream().filter(e -> e.getValue().expires <= 50).map(Map.Entry::getKey).toList(), index.expired(50));
        for (var e : model.entrySet()) {
            KeyIndex.Entry got = index.get(e.getKey());
            assertEquals(e.getValue().place, got.place(), e.getKey());
            assertEquals(e.getValue().expires, got.expires());
        }
        for (int i = 0; i < 200; i++) {
            String k = key(r);
            assertEquals(model.containsKey(k), index.get(k) != null, k);
        }
        assertNull(index.get("never a key \u0001"));
        assertEquals(new ArrayList<>(model.keySet()), keysOf(index, false));
        assertEquals(new ArrayList<>(model.descendingKeySet()), keysOf(index, true));
        for (int i = 0; i < 200; i++) {
            String lo = r.nextInt(4) == 0 ? null : key(r), hi = r.nextInt(4) == 0 ? null : key(r);
            boolean loIn = r.nextBoolean(), hiIn = r.nextBoolean(), desc = r.nextBoolean();
            if (lo != null && hi != null && lo.compareTo(hi) > 0) continue;
            if (lo != null && lo.equals(hi) && !(loIn && hiIn)) continue;
            NavigableMap<String, Where> range = model;
            if (lo != null) range = range.tailMap(lo, loIn);
            if (hi != null) range = range.headMap(hi, hiIn);
            List<String> want = new ArrayList<>(desc ? range.descendingKeySet() : range.keySet());
            List<String> got = new ArrayList<>();
            KeyIndex.Cursor c = index.cursor(lo, loIn, hi, hiIn, desc);
            while (c.next()) {
                got.add(c.key());
                assertEquals(range.get(c.key()).place, c.place());
            }
            assertEquals(want, got, "range " + lo + (loIn ? "]" : ")") + " " + hi + (hiIn ? "]" : ")") + (desc ? " desc" : ""));
        }
    }

    @Test
    void theLoaderReplaysChangesInLogOrder() {
        Random r = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            // keys of one byte a character sharing their first 9 (sorted by a packed prefix, ties by the keys), or any keys
            java.util.function.Supplier<String> key = trial % 8 >= 4 ? () -> "samestart" + key(r).replaceAll("[^\\x00-\\xff]", "q") : () -> key(r);
            IndexLoader loader = new IndexLoader(trial % 2 == 0 ? 0 : 5_000);
            TreeMap<String, Where> model = new TreeMap<>();
            // what compaction and imports write (one ascending run, no deletes), then changes after it: none, a few, many
            int sorted = new int[] {3_000, 3_000, 1_000, 0}[trial % 4], changes = new int[] {0, 100, 3_000, 3_000}[trial % 4];
            java.util.TreeSet<String> ascending = new java.util.TreeSet<>();
            while (ascending.size() < sorted) ascending.add(key.get() + r.nextInt(1000));
            long step = 0;
            for (String k : ascending) {
                Where w = new Where(KeyIndex.place(step++ * 100, 1 + r.nextInt(999)), r.nextInt(7) == 0 ? r.nextInt(100) : KeyIndex.NEVER);
                loader.put(k, w.place, w.expires);
                model.put(k, w);
                if (r.nextInt(10) > 0) loader.commit(); // a record of one item or of several
            }
            loader.commit();
            for (int c = 0; c < changes; c++) {
                Where w = new Where(KeyIndex.place(step++ * 100, 1 + r.nextInt(999)), r.nextInt(7) == 0 ? r.nextInt(100) : KeyIndex.NEVER);
                String k = r.nextBoolean() && !model.isEmpty() ? model.ceilingKey(key.get()) : key.get();
                if (k == null) k = key.get();
                int op = r.nextInt(40);
                if (op == 0 && r.nextInt(10) == 0) {
                    loader.clear();
                    model.clear();
                } else if (op < 8) {
                    loader.del(k);
                    model.remove(k);
                } else if (op < 10) { // a record found bad halfway leaves nothing of itself
                    loader.put(k, w.place, w.expires);
                    loader.clear();
                    loader.del(key(r));
                    loader.abort();
                    continue;
                } else {
                    loader.put(k, w.place, w.expires);
                    model.put(k, w);
                }
                loader.commit();
            }
            KeyIndex index = loader.build();
            agree(index, model, r);
            for (int i = 0; i < 500; i++) { // and it goes on taking changes
                String k = key(r);
                Where w = new Where(KeyIndex.place(i, 10), KeyIndex.NEVER);
                index.put(k, w.place, w.expires);
                model.put(k, w);
            }
            agree(index, model, r);
        }
    }

    @Test
    void aDrainingWalkFreesWhatItPassed() {
        KeyIndex.Builder b = new KeyIndex.Builder();
        for (int i = 0; i < 10_000; i++) b.add(String.format("k%05d", i), KeyIndex.place(i, 1), KeyIndex.NEVER);
        KeyIndex index = b.build();
        KeyIndex.Cursor c = index.drain();
        int n = 0;
        while (c.next()) assertEquals(String.format("k%05d", n++), c.key());
        assertEquals(10_000, n);
        assertEquals(0, index.countLive(0), "every chunk dropped");
    }

    @Test
    void aWalkSeesEveryKeyThatStaysOnceAndInOrderWhileChunksSplitAndEmpty() throws Exception {
        KeyIndex index = new KeyIndex();
        List<String> stay = new ArrayList<>();
        for (int i = 0; i < 20_000; i += 2) {
            String k = String.format("k%06d", i);
            index.put(k, KeyIndex.place(i, 1), KeyIndex.NEVER);
            stay.add(k);
        }
        AtomicBoolean go = new AtomicBoolean(true);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            Random r = new Random(3);
            while (go.get()) { // keys between the staying ones come and go: chunks split, and empty ones go
                String k = String.format("k%06d", 2 * r.nextInt(10_000) + 1);
                if (r.nextBoolean()) index.put(k, KeyIndex.place(1, 1), KeyIndex.NEVER);
                else index.remove(k);
                for (int n = 0; n < 50; n++) index.put(String.format("z%06d", r.nextInt(100_000)), KeyIndex.place(1, 1), KeyIndex.NEVER);
                for (int n = 0; n < 50; n++) index.remove(String.format("z%06d", r.nextInt(100_000)));
            }
        });
        writer.start();
        try {
            for (int walk = 0; walk < 100; walk++) {
                boolean desc = walk % 2 == 1;
                List<String> seen = new ArrayList<>();
                String prev = null;
                KeyIndex.Cursor c = index.cursor(null, false, "k999999", true, desc);
                while (c.next()) {
                    String k = c.key();
                    if (prev != null) assertTrue(desc ? k.compareTo(prev) < 0 : k.compareTo(prev) > 0, prev + " then " + k);
                    prev = k;
                    if (Integer.parseInt(k.substring(1)) % 2 == 0) seen.add(k);
                }
                if (desc) java.util.Collections.reverse(seen);
                assertEquals(stay, seen);
            }
        } catch (Throwable t) {
            failed.set(t);
        } finally {
            go.set(false);
            writer.join();
        }
        if (failed.get() != null) throw new AssertionError(failed.get());
    }

    @Test
    void itemBytesReadBackAsJsonReadsThem() {
        Random r = new Random(11);
        for (int i = 0; i < 3_000; i++) {
            Object v = value(r, 0);
            byte[] text = JsonText.bytes(v);
            assertEquals(Json.parse(new String(text, StandardCharsets.UTF_8)), JsonBytes.parse(text, 0, text.length), new String(text, StandardCharsets.UTF_8));
            if (v instanceof Map<?, ?> m) { // an item as read from the log: the same map, and written back as the same text
                StoredItem stored = new StoredItem(text, 0, text.length);
                assertEquals(m, stored);
                assertEquals(stored, m);
                assertEquals("[" + new String(text, StandardCharsets.UTF_8) + "]", new String(JsonText.bytes(List.of(stored)), StandardCharsets.UTF_8));
            }
            byte[] spaced = (" \n" + new String(text, StandardCharsets.UTF_8).replace(",", " , ").replace(":", " :\t") + " ").getBytes(StandardCharsets.UTF_8);
            if (!(v instanceof String)) assertEquals(Json.parse(new String(spaced, StandardCharsets.UTF_8)), JsonBytes.parse(spaced, 0, spaced.length));
        }
        String odd = "{\"a\\\"b\":\"\\u00e9\\n\\/\\\\ \\ud83d\\ude00 \\ud800\",\"n\":[-0,1.5e3,-2E-2,12345678901234567890,1,true,false,null,{}]}";
        byte[] b = ("xx" + odd + "yy").getBytes(StandardCharsets.UTF_8);
        assertEquals(Json.parse(odd), JsonBytes.parse(b, 2, b.length - 4));
        for (String bad : List.of("{", "{\"a\":}", "[1,]", "tru", "\"abc", "{\"a\" 1}", "[1 2]", "1-", "[]]")) {
            byte[] t = bad.getBytes(StandardCharsets.UTF_8);
            try {
                JsonBytes.parse(t, 0, t.length);
                throw new AssertionError("accepted " + bad);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith("not JSON"), e.getMessage());
            }
        }
        byte[] deep = ("[".repeat(200) + "]".repeat(200)).getBytes(StandardCharsets.UTF_8);
        try {
            JsonBytes.parse(deep, 0, deep.length);
            throw new AssertionError("accepted 200 levels");
        } catch (IllegalArgumentException e) {
            assertEquals("JSON nested deeper than " + Json.MAX_DEPTH + " levels", e.getMessage());
        }
    }

    @Test
    void aRecordTellsItsChangesAndWhereEachItemLies() {
        Random r = new Random(5);
        for (int i = 0; i < 500; i++) {
            boolean clear = r.nextInt(5) == 0;
            List<String> del = new ArrayList<>();
            for (int k = r.nextInt(3); k > 0; k--) del.add(key(r) + "\"\\\n");
            List<Map<String, Object>> items = new ArrayList<>();
            List<byte[]> texts = new ArrayList<>();
            for (int k = r.nextInt(4); k > 0; k--) {
                Map<String, Object> item = new java.util.LinkedHashMap<>();
                if (r.nextBoolean()) item.put("v", value(r, 1));
                item.put("key", key(r));
                if (r.nextBoolean()) item.put(Items.TTL, r.nextBoolean() ? (Object) (long) r.nextInt(1000) : (Object) (r.nextInt(1000) + 0.5));
                item.put("w", value(r, 1));
                items.add(item);
                texts.add(JsonText.bytes(item));
            }
            if (!clear && del.isEmpty() && items.isEmpty()) continue;
            LogRecords.Encoded rec = LogRecords.encode(clear, del, texts);
            assertEquals(Json.parse(new String(rec.bytes(), StandardCharsets.UTF_8)) instanceof Map, true);
            List<String> told = new ArrayList<>();
            LogRecords.scan(rec.bytes(), rec.bytes().length, new LogRecords.Visitor() {
                public void clear() {
                    told.add("clear");
                }

                public void del(String key) {
                    told.add("del " + key);
                }

                public void put(String key, int at, int length, double expires) {
                    int n = (int) told.stream().filter(s -> s.startsWith("put")).count();
                    assertEquals(rec.at()[n], at);
                    assertEquals(texts.get(n).length, length);
                    assertEquals(items.get(n), JsonBytes.parse(rec.bytes(), at, length));
                    assertEquals(Base.expiry(items.get(n)), expires);
                    told.add("put " + key);
                }
            });
            List<String> want = new ArrayList<>();
            if (clear) want.add("clear");
            for (String d : del) want.add("del " + d);
            for (Map<String, Object> item : items) want.add("put " + item.get("key"));
            assertEquals(want, told);
        }
        for (String bad : List.of("{\"put\":[{\"v\":1}]}", "{\"put\":[{\"key\":1}]}", "{\"put\":[1]}", "{\"del\":[\"a\"", "[]", "{\"put\":[{\"key\":\"a\"}]}x")) {
            byte[] b = bad.getBytes(StandardCharsets.UTF_8);
            try {
                LogRecords.scan(b, b.length, new LogRecords.Visitor() {
                    public void clear() {}

                    public void del(String key) {}

                    public void put(String key, int at, int length, double expires) {}
                });
                throw new AssertionError("accepted " + bad);
            } catch (IllegalArgumentException e) {
                // a record that is not ours: the log treats it as corrupt
            }
        }
    }

    /** A random JSON value as Base stores them (Long and Double numbers within 16 digits). */
    private static Object value(Random r, int depth) {
        int kind = depth > 4 ? r.nextInt(5) : r.nextInt(7);
        return switch (kind) {
            case 0 -> key(r) + (r.nextBoolean() ? "\"\\\n\t\u0001</>" : "");
            case 1 -> (long) (r.nextInt() * (r.nextBoolean() ? 1 : 1000));
            case 2 -> r.nextInt(5) == 0 ? (double) r.nextInt(1000) : r.nextDouble() * Math.pow(10, r.nextInt(20) - 8);
            case 3 -> r.nextBoolean();
            case 4 -> r.nextInt(3) == 0 ? null : "";
            case 5 -> {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) l.add(value(r, depth + 1));
                yield l;
            }
            default -> {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                for (int i = r.nextInt(4); i > 0; i--) m.put(key(r), value(r, depth + 1));
                yield m;
            }
        };
    }
}
