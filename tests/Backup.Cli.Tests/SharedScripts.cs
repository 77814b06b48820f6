namespace Backup.Cli.Tests;

/// <summary>
/// The scripts of the shared benchmark folder (gen-corpus.py, mutate.py): found by walking up from the test assembly
/// (CI lays shared/ beside the clone), else in the workplace's /work/shared.
/// </summary>
internal static class SharedScripts
{
    public static string GenCorpus => Find("gen-corpus.py");

    public static string Mutate => Find("mutate.py");

    private static string Find(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Join(dir.FullName, "shared", "bench", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        var fallback = Path.Join("/work", "shared", "bench", name);
        Assert.True(File.Exists(fallback), $"shared/bench/{name} not found above {AppContext.BaseDirectory} nor in /work/shared/bench");
        return fallback;
    }

    /// <summary>Runs a shared Python script and fails the test when it fails.</summary>
    public static void Python(string script, params string[] args)
    {
        var result = Backup.Testing.Shell.Run("python3", [script, .. args], null, null, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"{script}: {result}");
    }
}
