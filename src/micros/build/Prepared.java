package micros.build;

import java.nio.file.Path;

/**
 * What the build step left for one micro to start with.
 * @param pathFirst a folder to put first on the micro's PATH (a virtualenv's bin), or null
 * @param python    the interpreter for Space's legacy Python default, or null
 * @param failure   why the micro cannot start (a failed install or build), or null: it answers 503 with this
 * @param code      the folder the micro runs in, or is served from: its built stage; null for its own src folder (--dev)
 * @param madeFrom  the interpreter micros made the micro's virtualenv from, which its root keeps (the virtualenv's
 *                  own links are its build's to rewrite, so never followed), or null
 */
public record Prepared(Path pathFirst, Path python, String failure, Path code, Path madeFrom) {
    public static final Prepared NOTHING = new Prepared(null, null, null, null, null);

    Prepared(Path pathFirst, Path python, String failure) {
        this(pathFirst, python, failure, null, null);
    }

    static Prepared failed(String why) {
        return new Prepared(null, null, why, null, null);
    }

    Prepared in(Path code) {
        return new Prepared(pathFirst, python, failure, code, madeFrom);
    }

    Prepared madeFrom(Path interpreter) {
        return new Prepared(pathFirst, python, failure, code, interpreter);
    }
}
