using System.Text;

namespace Backup.Core.Posix;

/// <summary>Checks and prints raw file-name bytes.</summary>
public static class EntryName
{
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
    /// A printable form of raw name bytes for messages: valid UTF-8 stays as it is, except control characters;
    /// every byte that is not part of valid UTF-8, and every control character, is written as <c>\xNN</c>.
    /// </summary>
    public static string Escape(ReadOnlySpan<byte> name)
    {
        var sb = new StringBuilder(name.Length);
        var i = 0;
        while (i < name.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(name[i..], out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done && !System.Text.Rune.IsControl(rune))
            {
                sb.Append(rune.ToString());
                i += consumed;
            }
            else
            {
                var n = status == System.Buffers.OperationStatus.Done ? consumed : 1;
                for (var k = 0; k < n; k++)
                {
                    sb.Append(@"\x").Append(name[i + k].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }
                i += n;
            }
        }
        return sb.ToString();
    }

    /// <summary><see cref="Escape(ReadOnlySpan{byte})"/> for a .NET string (control characters such as newlines escaped).</summary>
    public static string Escape(string name) => Escape(Encoding.UTF8.GetBytes(name));
}
