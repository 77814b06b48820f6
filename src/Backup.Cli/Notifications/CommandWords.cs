using System.Text;

namespace Backup.Cli.Notifications;

/// <summary>
/// Splits the text of <c>--on-failure</c> and <c>--on-recovery</c> into a program and its arguments as a POSIX shell
/// splits words, and no more: blanks separate words, single quotes keep everything to the next one, double quotes keep
/// everything but <c>\"</c> and <c>\\</c>, a backslash outside quotes keeps the next character. Nothing is expanded
/// (no <c>$VAR</c>, <c>$(…)</c>, globs or <c>~</c>), and <c>;</c>, <c>|</c> or <c>&amp;</c> are plain characters:
/// the program is run directly, never by a shell.
/// </summary>
internal static class CommandWords
{
    /// <summary>The words of <paramref name="text"/>; throws <see cref="FormatException"/> for an open quote, a trailing backslash or no words.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                    continue;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException("a single quote is not closed");
                    }
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i = DoubleQuoted(text, i + 1, word);
                    break;
                case '\\':
                    if (++i == text.Length)
                    {
                        throw new FormatException("it ends with a backslash");
                    }
                    word.Append(text[i]);
                    break;
                default:
                    word.Append(c);
                    break;
            }
            inWord = true;
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words.Count > 0 ? words : throw new FormatException("it names no program");
    }

    /// <summary>Appends a double-quoted part that begins at <paramref name="start"/>; returns the index of its closing quote.</summary>
    private static int DoubleQuoted(string text, int start, StringBuilder word)
    {
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                return i;
            }
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
            {
                c = text[++i];
            }
            word.Append(c);
        }
        throw new FormatException("a double quote is not closed");
    }
}
