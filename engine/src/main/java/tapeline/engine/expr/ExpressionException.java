package tapeline.engine.expr;

/**
 * A problem with an expression's text, pinned to a character position. The message names the
 * source (e.g. the config key), the position and the problem, then shows the offending line
 * with a caret under the position:
 *
 * <pre>
 * cost, position 7: expected a number, name, '(' or '-', found '^'
 *   x0 * w^^2
 *          ^
 * </pre>
 */
public class ExpressionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Lines longer than this are shown as a window around the position. */
    private static final int MAX_SHOWN = 80;
    private static final int CONTEXT = 35;

    private final String label;
    private final int position;
    private final String reason;

    /**
     * @param label    what the text is, e.g. the config key {@code "cost"}
     * @param source   the full text, used to show the offending line (may be null)
     * @param position 0-based character offset of the problem, {@code source.length()} for "end of input"
     * @param reason   what was expected and what came, e.g. {@code "expected ')', found end of input"}
     */
    public ExpressionException(String label, String source, int position, String reason) {
        super(format(label, source, position, reason));
        this.label = label;
        this.position = position;
        this.reason = reason;
    }

    /** 0-based character offset of the problem in the source text. */
    public int position() {
        return position;
    }

    /** The label given to the parse, e.g. {@code "cost"}. */
    public String label() {
        return label;
    }

    /** The problem alone, without label, position or excerpt. */
    public String reason() {
        return reason;
    }

    private static String format(String label, String source, int position, String reason) {
        StringBuilder sb = new StringBuilder();
        sb.append(label).append(", position ").append(position).append(": ").append(reason);
        if (source == null || position < 0 || position > source.length()) {
            return sb.toString();
        }
        // Show only the line holding the position, so multi-line config values stay readable.
        int lineStart = source.lastIndexOf('\n', position - 1) + 1;
        int lineEnd = source.indexOf('\n', position);
        if (lineEnd < 0) {
            lineEnd = source.length();
        }
        int from = lineStart;
        int to = lineEnd;
        String head = "";
        String tail = "";
        if (to - from > MAX_SHOWN) {
            // A 100k-character line would drown the message: show a window around the caret.
            from = Math.max(lineStart, position - CONTEXT);
            to = Math.min(lineEnd, position + CONTEXT);
            head = from > lineStart ? "..." : "";
            tail = to < lineEnd ? "..." : "";
        }
        StringBuilder line = new StringBuilder(head);
        StringBuilder caret = new StringBuilder(" ".repeat(head.length()));
        for (int i = from; i < to; i++) {
            char c = source.charAt(i);
            // Keep one printed column per source char so the caret lines up; tabs stay tabs.
            char shown = c == '\t' ? '\t' : c == '\r' ? ' ' : Character.isISOControl(c) ? '?' : c;
            line.append(shown);
            if (i < position) {
                caret.append(shown == '\t' ? '\t' : ' ');
            }
        }
        line.append(tail);
        caret.append('^');
        sb.append("\n  ").append(line).append("\n  ").append(caret);
        return sb.toString();
    }
}
