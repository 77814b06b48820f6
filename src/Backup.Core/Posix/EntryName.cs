using System.Buffers;
using System.Text;

namespace Backup.Core.Posix;

/// <summary>
/// Checks, prints and carries raw file-name bytes. A name that is not valid UTF-8 travels through the code as a .NET
/// string in which each byte that is not part of valid UTF-8 is the lone surrogate <c>U+DC80..U+DCFF</c> (Python's
/// <c>surrogateescape</c>, PEP 383): <see cref="Decode"/> makes such a string, <see cref="Encode"/> gives the exact bytes
/// back, and every <see cref="PosixFile"/> call encodes paths that way. .NET's own file APIs do not: they would turn the
/// surrogates into U+FFFD, so a path that may hold one must only go through <see cref="PosixFile"/>.
/// </summary>
public static class EntryName
{
    private const char EscapeBase = '\uDC00';

    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes <paramref name="name"/> as strict UTF-8; false when it is not valid UTF-8 (.NET could not open such a file).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> name, out string decoded)
    {
        try
        {
            decoded = s_strict.GetString(name);
            return true;
        }
        catch (DecoderFallbackException)
        {
            decoded = "";
            return false;
        }
    }

    /// <summary>
    /// The name as a string that <see cref="Encode"/> turns back into exactly <paramref name="name"/>: valid UTF-8 is
    /// decoded, and each byte of an invalid sequence (always 0x80 or above) becomes the lone surrogate U+DC00 + byte.
    /// A string decoded from valid UTF-8 never holds a lone surrogate, so the mapping is one to one.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> name)
    {
        if (TryDecode(name, out var decoded))
        {
            return decoded;
        }
        var sb = new StringBuilder(name.Length);
        var i = 0;
        while (i < name.Length)
        {
            if (Rune.DecodeFromUtf8(name[i..], out var rune, out var consumed) == OperationStatus.Done)
            {
                sb.Append(rune.ToString());
                i += consumed;
            }
            else
            {
                sb.Append((char)(EscapeBase + name[i]));
                i++;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// The raw bytes of a name or path made by <see cref="Decode"/> (or any ordinary string): UTF-8, except that each
    /// lone surrogate U+DC80..U+DCFF becomes the single byte it stands for. Other lone surrogates become U+FFFD, as
    /// .NET's UTF-8 encoder makes them.
    /// </summary>
    public static byte[] Encode(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!HasEscapes(name))
        {
            return Encoding.UTF8.GetBytes(name);
        }
        var bytes = new List<byte>(name.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        var span = name.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            if (Rune.DecodeFromUtf16(span[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                var c = span[i];
                if (c is >= (char)(EscapeBase + 0x80) and <= (char)(EscapeBase + 0xFF))
                {
                    bytes.Add((byte)(c - EscapeBase));
                    i++;
                    continue;
                }
                rune = Rune.ReplacementChar;
                consumed = 1;
            }
            var n = rune.EncodeToUtf8(utf8);
            bytes.AddRange(utf8[..n]);
            i += consumed;
        }
        return [.. bytes];
    }

    private static bool HasEscapes(string name)
    {
        foreach (var c in name)
        {
            if (char.IsSurrogate(c))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A printable form of raw name bytes for messages: valid UTF-8 stays as it is, except control characters;
    /// every byte that is not part of valid UTF-8, and every control character, is written as <c>\xNN</c>.
    /// </summary>
    public static string Escape(ReadOnlySpan<byte> name)
    {
        var sb = new StringBuilder(name.Length);
        var i = 0;
        while (i < name.Length)
        {
            var status = Rune.DecodeFromUtf8(name[i..], out var rune, out var consumed);
            if (status == OperationStatus.Done && !Rune.IsControl(rune))
            {
                sb.Append(rune.ToString());
                i += consumed;
            }
            else
            {
                var n = status == OperationStatus.Done ? consumed : 1;
                for (var k = 0; k < n; k++)
                {
                    sb.Append(@"\x").Append(name[i + k].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }
                i += n;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// <see cref="Escape(ReadOnlySpan{byte})"/> for a .NET string (control characters such as newlines escaped; the bytes
    /// of a name made by <see cref="Decode"/> shown as <c>\xNN</c>).
    /// </summary>
    public static string Escape(string name) => Escape(Encode(name));
}
