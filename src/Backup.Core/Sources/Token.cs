namespace Backup.Core.Sources;

/// <summary>
/// One token of a name glob (see <see cref="IgnorePatterns"/>): a literal character, <c>?</c>, <c>*</c>, or a bracket
/// class. Within one name: none matches <c>/</c>.
/// </summary>
internal readonly struct Token
{
    private enum Kind : byte { Literal, Any, Star, Class }

    private readonly Kind _kind;
    private readonly char _literal;
    private readonly bool _negated;

    /// <summary>For a class: pairs of inclusive bounds, [first0, last0, first1, last1, ...].</summary>
    private readonly char[]? _ranges;

    private Token(Kind kind, char literal = '\0', char[]? ranges = null, bool negated = false)
    {
        _kind = kind;
        _literal = literal;
        _ranges = ranges;
        _negated = negated;
    }

    /// <summary>A <c>*</c>.</summary>
    public static Token Star { get; } = new(Kind.Star);

    /// <summary>Compiles the glob of one name; false with the reason when it is not valid.</summary>
    public static bool TryCompile(string glob, out Token[] tokens, out string? error)
    {
        var list = new List<Token>(glob.Length);
        error = null;
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '\\':
                    if (i + 1 == glob.Length)
                    {
                        error = "a '\\' at the end escapes nothing";
                        tokens = [];
                        return false;
                    }
                    list.Add(new Token(Kind.Literal, glob[++i]));
                    break;
                case '?':
                    list.Add(new Token(Kind.Any));
                    break;
                case '*':
                    if (list.Count == 0 || list[^1]._kind != Kind.Star)
                    {
                        list.Add(Star); // "a**b" is "a*b": '*' never crosses a '/'
                    }
                    break;
                case '[':
                    if (!TryClass(glob, ref i, out var token, out error))
                    {
                        tokens = [];
                        return false;
                    }
                    list.Add(token);
                    break;
                default:
                    list.Add(new Token(Kind.Literal, c));
                    break;
            }
        }
        tokens = [.. list];
        return true;
    }

    /// <summary>Parses a class at <paramref name="i"/> (the '['), leaving <paramref name="i"/> on its ']'.</summary>
    private static bool TryClass(string glob, ref int i, out Token token, out string? error)
    {
        var j = i + 1;
        var negated = j < glob.Length && glob[j] is '!' or '^';
        if (negated)
        {
            j++;
        }
        var ranges = new List<char>();
        var first = true;
        while (j < glob.Length && (glob[j] != ']' || first))
        {
            first = false;
            var low = glob[j];
            if (low == '\\' && j + 1 < glob.Length)
            {
                low = glob[++j];
            }
            var high = low;
            if (j + 2 < glob.Length && glob[j + 1] == '-' && glob[j + 2] != ']')
            {
                j += 2;
                high = glob[j];
                if (high == '\\' && j + 1 < glob.Length)
                {
                    high = glob[++j];
                }
                if (high < low)
                {
                    token = default;
                    error = $"the range '{low}-{high}' is reversed";
                    return false;
                }
            }
            ranges.Add(low);
            ranges.Add(high);
            j++;
        }
        if (j >= glob.Length)
        {
            token = default;
            error = "a '[' is not closed by ']' (write '\\[' for the character itself)";
            return false;
        }
        i = j;
        token = new Token(Kind.Class, ranges: [.. ranges], negated: negated);
        error = null;
        return true;
    }

    /// <summary>Whether <paramref name="tokens"/> match the whole of <paramref name="name"/>.</summary>
    public static bool Match(ReadOnlySpan<Token> tokens, ReadOnlySpan<char> name)
    {
        // Greedy with one backtrack point (the last '*'): linear in practice, never exponential.
        int ti = 0, ni = 0, star = -1, starName = 0;
        while (ni < name.Length)
        {
            if (ti < tokens.Length && tokens[ti]._kind == Kind.Star)
            {
                star = ti++;
                starName = ni;
                continue;
            }
            if (ti < tokens.Length && tokens[ti].MatchOne(name, ni) is var used && used > 0)
            {
                ti++;
                ni += used;
                continue;
            }
            if (star >= 0)
            {
                ti = star + 1;
                ni = ++starName;
                continue;
            }
            return false;
        }
        while (ti < tokens.Length && tokens[ti]._kind == Kind.Star)
        {
            ti++;
        }
        return ti == tokens.Length;
    }

    /// <summary>How many chars of <paramref name="name"/> at <paramref name="at"/> this token matches (a surrogate pair counts as one character); 0 for none.</summary>
    private int MatchOne(ReadOnlySpan<char> name, int at)
    {
        var c = name[at];
        var width = char.IsHighSurrogate(c) && at + 1 < name.Length && char.IsLowSurrogate(name[at + 1]) ? 2 : 1;
        switch (_kind)
        {
            case Kind.Literal:
                return c == _literal ? 1 : 0;
            case Kind.Any:
                return width;
            case Kind.Class:
                if (width == 2)
                {
                    return _negated ? 2 : 0; // a class holds characters of one UTF-16 unit only
                }
                var inside = false;
                for (var k = 0; k < _ranges!.Length; k += 2)
                {
                    if (c >= _ranges[k] && c <= _ranges[k + 1])
                    {
                        inside = true;
                        break;
                    }
                }
                return inside != _negated ? 1 : 0;
            default:
                return 0;
        }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        switch (_kind)
        {
            case Kind.Literal:
                return _literal is '*' or '?' or '[' or '\\' ? "\\" + _literal : _literal.ToString();
            case Kind.Any:
                return "?";
            case Kind.Star:
                return "*";
            default:
                var text = new System.Text.StringBuilder(_negated ? "[!" : "[");
                for (var k = 0; k < _ranges!.Length; k += 2)
                {
                    text.Append(_ranges[k]);
                    if (_ranges[k + 1] != _ranges[k])
                    {
                        text.Append('-').Append(_ranges[k + 1]);
                    }
                }
                return text.Append(']').ToString();
        }
    }
}
