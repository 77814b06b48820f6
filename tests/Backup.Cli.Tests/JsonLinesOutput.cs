using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary>Reads what a <c>--json</c> option printed as JSON lines: every line must be one JSON object alone.</summary>
internal static class JsonLinesOutput
{
    /// <summary>Each line of <paramref name="output"/> parsed alone; fails on an empty output or a line that is not a JSON object.</summary>
    public static IReadOnlyList<JsonElement> Parse(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        return [.. lines.Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            return document.RootElement.Clone();
        })];
    }

    /// <summary>The one object of an output that must hold exactly one line.</summary>
    public static JsonElement Single(string output) => Assert.Single(Parse(output));
}
