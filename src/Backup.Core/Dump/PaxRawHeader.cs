using System.Globalization;
using System.Text;

namespace Backup.Core.Dump;

/// <summary>
/// Writes a pax extended header (POSIX.1-2001 <c>pax</c>, typeflag <c>x</c>) whose values are raw bytes, for what
/// <see cref="System.Formats.Tar"/> cannot say: it writes every name as UTF-8, so a name that is not UTF-8 would come
/// out with U+FFFD in place of its bytes. POSIX allows raw bytes after a <c>hdrcharset=BINARY</c> record; GNU tar,
/// bsdtar and Python's tarfile read them back exactly. The header is followed by an ordinary entry that
/// <see cref="System.Formats.Tar.TarWriter"/> writes, whose fields these records override.
/// </summary>
internal static class PaxRawHeader
{
    private const int Block = 512;

    /// <summary>One record's bytes: "LENGTH key=value\n", LENGTH counting the whole record, its own digits included.</summary>
    public static byte[] Record(string key, ReadOnlySpan<byte> value)
    {
        var body = Encoding.ASCII.GetByteCount(key) + 1 + value.Length + 1;
        var digits = 1;
        while (Digits(body + 1 + digits) != digits)
        {
            digits++;
        }
        var length = body + 1 + digits;
        var record = new byte[length];
        var at = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{length} {key}="), record);
        value.CopyTo(record.AsSpan(at));
        record[^1] = (byte)'\n';
        return record;
    }

    /// <summary>
    /// Writes the header block (named <c>PaxHeader/</c> + <paramref name="placeholder"/>, ASCII) and the records,
    /// padded to a whole block, to <paramref name="output"/>. Leaves the stream open.
    /// </summary>
    public static async Task WriteAsync(Stream output, IReadOnlyList<byte[]> records, string placeholder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(records);
        var size = records.Sum(r => (long)r.Length);
        var header = new byte[Block];
        Field(header, 0, 100, Encoding.ASCII.GetBytes(("PaxHeader/" + placeholder)[..Math.Min(99, 10 + placeholder.Length)]));
        Octal(header, 100, 8, 0x1A4); // 0644
        Octal(header, 108, 8, 0);
        Octal(header, 116, 8, 0);
        Octal(header, 124, 12, size);
        Octal(header, 136, 12, 0);
        header[156] = (byte)'x';
        Field(header, 257, 6, "ustar\0"u8);
        Field(header, 263, 2, "00"u8);
        // The checksum is the sum of the header's bytes with its own field read as eight spaces.
        header.AsSpan(148, 8).Fill((byte)' ');
        var sum = header.Sum(b => (int)b);
        Field(header, 148, 8, Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 "));
        await output.WriteAsync(header, cancellationToken);
        foreach (var record in records)
        {
            await output.WriteAsync(record, cancellationToken);
        }
        var padding = (int)((Block - (size % Block)) % Block);
        await output.WriteAsync(new byte[padding], cancellationToken);
    }

    private static int Digits(int n) => n.ToString(CultureInfo.InvariantCulture).Length;

    private static void Field(byte[] header, int at, int width, ReadOnlySpan<byte> value) => value[..Math.Min(width, value.Length)].CopyTo(header.AsSpan(at, width));

    /// <summary>An octal number of width - 1 digits and a NUL, as ustar fields are.</summary>
    private static void Octal(byte[] header, int at, int width, long value) =>
        Field(header, at, width, Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(width - 1, '0') + "\0"));
}
