using System.Globalization;
using Spectre.Console;

namespace Backup.Cli.Tests;

/// <summary>
/// <see cref="ProgressText.Fit"/> and <see cref="ProgressText.FitStart"/> cut a line to terminal columns: a CJK
/// character or an emoji takes two, a combining mark none, and no cut falls inside a surrogate pair or a grapheme.
/// </summary>
public sealed class ProgressTextTests
{
    public static TheoryData<string> Texts => new()
    {
        "/home/me/Documents/projects/backup/src/report-final.pdf",
        "/home/me/文件名/文件名文件名文件名文件名/文件名.txt",
        "/home/me/😀😀😀/photos-😀😀😀😀😀😀/😀.jpg",
        "/home/me/re\u0301sume\u0301/ca\u0301fe\u0301-e\u0301te\u0301-e\u0301le\u0301ve\u0301.txt",
        "e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301",
        "文件名文件名文件名文件名文件名文件名",
        "👍🏽👍🏽👍🏽🇫🇷🇫🇷🇫🇷👍🏽👍🏽👍🏽",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Fit_EveryWidth_NeverExceedsItAndCutsOnlyBetweenGraphemes(string text)
    {
        for (var width = 0; width <= ProgressText.Columns(text) + 2; width++)
        {
            var fitted = ProgressText.Fit(text, width);

            AssertFits(text, fitted, width);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void FitStart_EveryWidth_NeverExceedsItAndCutsOnlyBetweenGraphemes(string text)
    {
        for (var width = 0; width <= ProgressText.Columns(text) + 2; width++)
        {
            var fitted = ProgressText.FitStart(text, width);

            AssertFits(text, fitted, width);
            Assert.StartsWith(fitted.TrimEnd('…'), text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("abcdefghijklmnopqrstuvwxyz", 10, "abc…uvwxyz")]
    [InlineData("abc", 3, "abc")]
    [InlineData("文件名文件名文件名文件名", 10, "文…文件名")]
    [InlineData("文件名文件名文件名文件名", 11, "文…名文件名")]
    [InlineData("😀😀😀😀😀😀😀😀", 9, "😀…😀😀😀")]
    [InlineData("e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301", 5, "e\u0301…e\u0301e\u0301e\u0301")]
    public void Fit_WideAndCombining_KeepsTheStartAndTheEndInColumns(string text, int width, string expected)
    {
        var fitted = ProgressText.Fit(text, width);

        Assert.Equal(expected, fitted);
    }

    [Theory]
    [InlineData("abcdef", 4, "abc…")]
    [InlineData("文件名文件名", 6, "文件…")]
    [InlineData("文件名文件名", 5, "文件…")]
    [InlineData("😀😀😀", 4, "😀…")]
    [InlineData("e\u0301e\u0301e\u0301", 2, "e\u0301…")]
    public void FitStart_WideAndCombining_KeepsTheStartInColumns(string text, int width, string expected)
    {
        var fitted = ProgressText.FitStart(text, width);

        Assert.Equal(expected, fitted);
    }

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("文件名", 6)]
    [InlineData("😀", 2)]
    [InlineData("e\u0301", 1)]
    public void Columns_CountsTerminalColumns(string text, int columns)
    {
        Assert.Equal(columns, ProgressText.Columns(text));
    }

    private static void AssertFits(string text, string fitted, int width)
    {
        // Spectre.Console measures what it renders: the line must fit by its count as well as by ours.
        Assert.True(fitted.GetCellWidth() <= width, $"'{fitted}' is {fitted.GetCellWidth()} columns, more than {width}");
        Assert.True(ProgressText.Columns(fitted) <= width, $"'{fitted}' is {ProgressText.Columns(fitted)} columns, more than {width}");
        var whole = Graphemes(text).ToHashSet(StringComparer.Ordinal);
        foreach (var grapheme in Graphemes(fitted).Where(g => g != "…"))
        {
            Assert.True(whole.Contains(grapheme), $"'{fitted}' (width {width}) cuts a grapheme of '{text}': {string.Join(' ', grapheme.Select(c => ((int)c).ToString("x4", CultureInfo.InvariantCulture)))}");
        }
    }

    private static IEnumerable<string> Graphemes(string text)
    {
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            yield return elements.GetTextElement();
        }
    }
}
