using Backup.Core.Sources;

namespace Backup.Core.Tests.Sources;

public class ExcludeRulesTests
{
    [Fact]
    public void FromJson_WhatToJsonWrote_GivesEqualRules()
    {
        var rules = new ExcludeRules
        {
            Patterns = ["*.log", "!keep.log", "/build/"], ExcludeCaches = true, ExcludeIfPresent = [".nobackup"], ExcludeLargerThan = 10 << 20, OneFileSystem = true,
        };

        var back = ExcludeRules.FromJson(rules.ToJson());

        Assert.Equal(rules, back);
        Assert.Equal(["*.log", "!keep.log", "/build/"], back.Patterns);
        Assert.Equal(10 << 20, back.ExcludeLargerThan);
    }

    [Fact]
    public void ToJson_NoRules_IsNull()
    {
        Assert.Null(ExcludeRules.None.ToJson());
        Assert.Same(ExcludeRules.None, ExcludeRules.FromJson(null));
    }

    [Fact]
    public void FromJson_NotAnObject_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => ExcludeRules.FromJson("[1,"));
    }

    [Fact]
    public void Merge_AddsNewPatternsOnceAndTakesTheNewLimit()
    {
        var old = new ExcludeRules { Patterns = ["*.o"], ExcludeLargerThan = 5 };

        var merged = old.Merge(new ExcludeRules { Patterns = ["*.o", "*.a"], ExcludeLargerThan = 9, ExcludeCaches = true });

        Assert.Equal(["*.o", "*.a"], merged.Patterns);
        Assert.Equal(9, merged.ExcludeLargerThan);
        Assert.True(merged.ExcludeCaches);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("..")]
    public void Validate_IfPresentNotAName_Throws(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new ExcludeRules { ExcludeIfPresent = [name] }.Validate());

        Assert.Contains("--exclude-if-present", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("123", 123L)]
    [InlineData("10M", 10L << 20)]
    [InlineData("10 MiB", 10L << 20)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("500K", 500L << 10)]
    [InlineData("2KB", 2000L)]
    [InlineData("1TB", 1_000_000_000_000L)]
    [InlineData("7B", 7L)]
    public void ParseBytes_Size_GivesBytes(string text, long expected)
    {
        Assert.Equal(expected, Quantity.ParseBytes(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-1M")]
    [InlineData("10X")]
    [InlineData("1.2.3K")]
    [InlineData("99999999999T")]
    public void ParseBytes_NotASize_ThrowsNamingIt(string text)
    {
        var error = Assert.Throws<FormatException>(() => Quantity.ParseBytes(text));

        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
    }
}
