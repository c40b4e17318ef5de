package micros.spacefile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import micros.spacefile.YamlNode.Entry;
import micros.spacefile.YamlNode.Mapping;
import micros.spacefile.YamlNode.Scalar;
import micros.spacefile.YamlNode.Sequence;

/**
 * A document's anchors (&name) and what its aliases (*name) and merge keys ('<<') make of
 * them, as Go's yaml.v3 (Space's CLI) read them. An alias is a copy of the anchored node that
 * carries the alias's line and column, where a problem with it is reported; copies count
 * against {@link #MAX_NODES}, so a document whose aliases explode (a "billion laughs") stops
 * at the alias that crosses it.
 */
final class YamlAliases {
    /** Nodes aliases may copy in all: a Spacefile that repeats a micro copies tens. */
    static final int MAX_NODES = 10_000;

    private final int maxDepth;
    private final Map<String, YamlNode> anchors = new HashMap<>();
    private final Set<String> reading = new HashSet<>(); // anchors whose node is being read
    private int copied;

    YamlAliases(int maxDepth) {
        this.maxDepth = maxDepth;
    }

    /** The anchor's node is being read: an alias to it from inside would make it contain itself. */
    void begin(String anchor) {
        reading.add(anchor);
    }

    /** The anchor names this node from now on (a later anchor of the same name replaces it). */
    void name(String anchor, YamlNode node) {
        reading.remove(anchor);
        anchors.put(anchor, node);
    }

    /** A copy of the node the anchor names, at the alias's 0-based line and column, nested depth levels deep. */
    YamlNode alias(String name, int line, int col, int depth) throws YamlException {
        if (reading.contains(name))
            throw error(line, col, "the alias *" + name + " stands inside the value its anchor &" + name + " names, so that value would contain itself: remove the alias");
        YamlNode target = anchors.get(name);
        if (target == null)
            throw error(line, col, "no anchor &" + name + " comes before the alias *" + name + ": define it first, or quote the value if * is part of it");
        return copy(target, line, col, depth);
    }

    private YamlNode copy(YamlNode n, int line, int col, int level) throws YamlException {
        if (++copied > MAX_NODES)
            throw error(line, col, "the aliases make this document larger than " + MAX_NODES + " nodes (a \"billion laughs\"):"
                    + " a Spacefile repeats a block or two, so this is not one");
        if (level > maxDepth)
            throw error(line, col, "the YAML nests more than " + maxDepth + " levels deep here: a Spacefile nests a few levels, so this is not one");
        if (n instanceof Scalar s) return new Scalar(s.value(), s.style(), line + 1, col + 1, s.tag());
        if (n instanceof Sequence q) {
            List<YamlNode> items = new ArrayList<>(q.items().size());
            for (YamlNode item : q.items()) items.add(copy(item, line, col, level + 1));
            return new Sequence(List.copyOf(items), line + 1, col + 1);
        }
        Mapping m = (Mapping) n;
        List<Entry> entries = new ArrayList<>(m.entries().size());
        for (Entry e : m.entries()) entries.add(new Entry((Scalar) copy(e.key(), line, col, level + 1), copy(e.value(), line, col, level + 1)));
        return new Mapping(List.copyOf(entries), line + 1, col + 1);
    }

    static boolean isMergeKey(Scalar key) {
        return key.style() == YamlNode.Style.PLAIN && key.value().equals("<<");
    }

    /**
     * The entries with those of a merge key's value: '<<: *base' (or a mapping written in place,
     * or a list of them written in place, '<<: [*a, *b]') adds each key of those mappings that
     * the entries lack, an earlier mapping winning over a later one. yaml.v3 took a list only
     * written in place: an alias must name a mapping.
     */
    static List<Entry> merged(List<Entry> own, YamlNode merge, boolean listInPlace) throws YamlException {
        if (merge == null) return List.copyOf(own);
        List<YamlNode> sources = listInPlace && merge instanceof Sequence q ? q.items() : List.of(merge);
        Set<String> keys = new HashSet<>();
        for (Entry e : own) keys.add(e.key().value());
        List<Entry> out = new ArrayList<>(own);
        for (YamlNode source : sources) {
            if (!(source instanceof Mapping m))
                throw new YamlException(source.line(), source.column(), "'<<' merges mappings into this one, and this is " + source.describe()
                        + ": write '<<: *name' with the anchor of a mapping, or a list of such aliases, '<<: [*a, *b]'");
            for (Entry e : m.entries()) if (keys.add(e.key().value())) out.add(e);
        }
        return List.copyOf(out);
    }

    private static YamlException error(int line, int col, String message) {
        return new YamlException(line + 1, col + 1, message);
    }
}
