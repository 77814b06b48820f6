using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>What a test sees of an archive folder, and independent checks of the zips in it.</summary>
internal static class ArchiveFolder
{
    /// <summary>Every finished snapshot zip below <paramref name="archive"/>, sorted.</summary>
    public static string[] Zips(string archive) => Directory.Exists(archive)
        ? [.. Directory.EnumerateFiles(archive, "*.zip", SearchOption.AllDirectories)
            .Where(p => !Path.GetFileName(p).StartsWith('.'))
            .Order(StringComparer.Ordinal)]
        : [];

    /// <summary>Temporary files (<c>.NAME.zip.partial-PID</c> and helpers) below <paramref name="archive"/>.</summary>
    public static string[] Partials(string archive) => Directory.Exists(archive)
        ? [.. Directory.EnumerateFiles(archive, "*", SearchOption.AllDirectories).Where(p => p.Contains(".partial-", StringComparison.Ordinal))]
        : [];

    /// <summary>Everything below <paramref name="archive"/>, for failure messages.</summary>
    public static string Describe(string archive) => Directory.Exists(archive)
        ? string.Join('\n', Directory.EnumerateFileSystemEntries(archive, "*", SearchOption.AllDirectories))
        : "(no archive folder)";

    /// <summary>Asserts that Info-ZIP's <c>unzip -t</c> accepts <paramref name="zip"/>.</summary>
    public static void AssertValid(string zip)
    {
        var test = Shell.Run("unzip", "-tqq", zip);
        Assert.True(test.ExitCode == 0, $"unzip -t {zip}: {test}");
    }

    /// <summary>Runs a Python snippet with <c>sys.argv[1:]</c> = <paramref name="args"/>; fails when it fails.</summary>
    public static string Python(string script, params string[] args)
    {
        var result = Shell.Run("python3", ["-c", script, .. args], null, null, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"python3 failed: {result}");
        return result.Output;
    }

    /// <summary>The entry names of <paramref name="zip"/> as Python's zipfile reads them.</summary>
    public static string[] EntryNames(string zip) =>
        Python("import sys, zipfile\nfor n in zipfile.ZipFile(sys.argv[1]).namelist(): print(repr(n))", zip)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
