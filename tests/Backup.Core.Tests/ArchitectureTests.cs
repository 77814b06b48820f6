namespace Backup.Core.Tests;

/// <summary>The arrows of STYLE.md: Core never talks to the console or the command line.</summary>
public class ArchitectureTests
{
    [Fact]
    public void Core_DoesNotReferenceCommandLineAssembly()
    {
        var references = typeof(BackupException).Assembly.GetReferencedAssemblies().Select(a => a.Name);

        Assert.DoesNotContain("System.CommandLine", references);
        Assert.DoesNotContain("Backup.Cli", references);
    }

    [Fact]
    public void Core_SourceNeverUsesConsole()
    {
        var core = Path.Join(RepositoryRoot(), "src", "Backup.Core");
        var offenders = Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && File.ReadAllText(f).Contains("Console.", StringComparison.Ordinal))
            .ToList();

        Assert.True(Directory.Exists(core), core);
        Assert.Empty(offenders);
    }

    [Fact]
    public void Core_NamespacesMatchFolders()
    {
        var core = Path.Join(RepositoryRoot(), "src", "Backup.Core");
        var mismatched = new List<string>();
        foreach (var file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var folder = Path.GetRelativePath(core, Path.GetDirectoryName(file)!);
            var expected = folder == "." ? "Backup.Core" : "Backup.Core." + folder.Replace('/', '.');
            if (!File.ReadAllText(file).Contains($"namespace {expected};", StringComparison.Ordinal))
            {
                mismatched.Add(file);
            }
        }

        Assert.Empty(mismatched);
    }

    [Theory]
    [InlineData("Chunking")]
    [InlineData("Compression")]
    [InlineData("Encryption")]
    public void Leaves_ReferenceNothingElseInCore(string leaf)
    {
        var folder = Path.Join(RepositoryRoot(), "src", "Backup.Core", leaf);
        var offenders = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => File.ReadLines(f).Any(line => line.StartsWith("using Backup.", StringComparison.Ordinal) || line.Contains("BackupException", StringComparison.Ordinal)))
            .ToList();

        Assert.True(Directory.Exists(folder), folder);
        Assert.Empty(offenders);
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Join(dir.FullName, "backup.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("backup.slnx not found above " + AppContext.BaseDirectory);
    }
}
