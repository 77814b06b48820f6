using System.Text.Json;

namespace Backup.Cli;

/// <summary>
/// What the <c>--json</c> options print: one compact JSON object a line (JSON lines), so that a script can read each
/// line alone, as it comes.
/// </summary>
internal static class JsonLines
{
    /// <summary>One line a script can parse alone: compact, non-ASCII characters kept as they are.</summary>
    private static readonly JsonWriterOptions s_line = new()
    {
        Indented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes one object, filled by <paramref name="fields"/>, as one line of <paramref name="output"/>.</summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> fields)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, s_line))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
