using Backup.Core.Repositories;

namespace Backup.Core.Tests;

/// <summary>
/// The arrows of STYLE.md: Core never talks to the console or the command line, and its areas (namespaces below
/// <c>Backup.Core</c>) refer to each other only one way, as read from the compiled types, method bodies included.
/// </summary>
public class ArchitectureTests
{
    private const string Root = "Backup.Core.";

    /// <summary>An arrow that must not exist: from an area matching <see cref="From"/> to one matching <see cref="To"/>, unless <see cref="Allowed"/> says so for a pair of types.</summary>
    public sealed record ForbiddenArrow(string Name, Func<string, bool> From, Func<string, bool> To, Func<Type, Type, bool>? Allowed = null);

    private static bool Under(string area, params string[] prefixes) =>
        prefixes.Any(p => area == p || area.StartsWith(p + ".", StringComparison.Ordinal));

    private static readonly string[] s_leaves = ["Chunking", "Compression", "Encryption"];

    /// <summary>The table of forbidden arrows (STYLE.md, "Which way the arrows point").</summary>
    private static readonly ForbiddenArrow[] s_forbidden =
    [
        new("Repositories (Packs, Locks) -> Snapshots, Archiving, Maintenance, Catalog, Monitoring, Restore",
            a => Under(a, "Repositories") && !Under(a, "Repositories.Maintenance"),
            b => Under(b, "Snapshots", "Archiving", "Repositories.Maintenance", "Catalog", "Monitoring", "Restore")),
        new("Snapshots -> Archiving, Maintenance, Catalog, Monitoring",
            a => Under(a, "Snapshots"),
            b => Under(b, "Archiving", "Repositories.Maintenance", "Catalog", "Monitoring")),
        new("Repositories.Maintenance -> Archiving, Catalog, Monitoring, Restore",
            a => Under(a, "Repositories.Maintenance"),
            b => Under(b, "Archiving", "Catalog", "Monitoring", "Restore")),
        // The tree builder talks to its own ITreeBuilderRepository; only RepositoryArchiver, which plays that role over a
        // Repository, names the service. ChunkId is a value of the format (restic's restic.ID), not the service.
        new("Archiving.Trees -> Repositories (but from RepositoryArchiver, and ChunkId), Catalog, Monitoring",
            a => Under(a, "Archiving.Trees"),
            b => Under(b, "Repositories", "Catalog", "Monitoring"),
            (from, to) => TypeReferences.OwnerOf(from).Name == "RepositoryArchiver" || to == typeof(ChunkId)),
        new("Chunking, Compression, Encryption -> anything else in Core",
            a => Under(a, s_leaves),
            b => !s_leaves.Any(leaf => Under(b, leaf))),
    ];

    private static readonly Lazy<List<(Type From, Type To)>> s_references = new(() =>
        [.. typeof(BackupException).Assembly.GetTypes()
            .Where(t => AreaOf(t) is not null)
            .SelectMany(t => TypeReferences.Of(t).Where(r => AreaOf(r) is not null).Select(r => (t, r)))]);

    /// <summary>The area of a type: its namespace below <c>Backup.Core</c> ("" for Backup.Core itself), or null for a type outside every namespace.</summary>
    private static string? AreaOf(Type type) => TypeReferences.OwnerOf(type).Namespace switch
    {
        null => null,
        "Backup.Core" => "",
        var ns when ns.StartsWith(Root, StringComparison.Ordinal) => ns[Root.Length..],
        _ => null,
    };

    private static string Shown(Type type)
    {
        var owner = TypeReferences.OwnerOf(type);
        return $"{AreaOf(owner)}.{owner.Name}".TrimStart('.');
    }

    /// <summary>The offenders of <paramref name="rule"/> in <paramref name="references"/>, as "A.Type -> B.Type", once each, sorted.</summary>
    internal static List<string> Offenders(ForbiddenArrow rule, IEnumerable<(Type From, Type To)> references) =>
        [.. references
            .Where(r => AreaOf(r.From) is { } a && AreaOf(r.To) is { } b && a != b && rule.From(a) && rule.To(b) && rule.Allowed?.Invoke(r.From, r.To) != true)
            .Select(r => $"{Shown(r.From)} -> {Shown(r.To)}")
            .Distinct()
            .Order(StringComparer.Ordinal)];

    public static TheoryData<string> ForbiddenArrows() => [.. s_forbidden.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(ForbiddenArrows))]
    public void Areas_ForbiddenArrow_IsNotThere(string name)
    {
        var rule = s_forbidden.Single(r => r.Name == name);
        var offenders = Offenders(rule, s_references.Value);

        Assert.True(offenders.Count == 0, $"forbidden arrow {name}:\n  {string.Join("\n  ", offenders)}");
    }

    [Fact]
    public void Areas_References_AreReadFromMethodBodies()
    {
        // The test sees what only a method body names: SnapshotWalker loads trees through TreeStore, an async method
        // whose body is a compiler-generated state machine.
        Assert.Contains(s_references.Value, r => Shown(r.From) == "Snapshots.SnapshotWalker" && Shown(r.To) == "Snapshots.TreeStore");
        Assert.Contains(s_references.Value, r => Shown(r.From) == "Snapshots.SnapshotStore" && r.To == typeof(Core.Storage.BlobKind));
    }

    [Fact]
    public void CatalogAndMonitoring_HaveNoCycle()
    {
        var catalogToMonitoring = Offenders(new("", a => Under(a, "Catalog"), b => Under(b, "Monitoring")), s_references.Value);
        var monitoringToCatalog = Offenders(new("", a => Under(a, "Monitoring"), b => Under(b, "Catalog")), s_references.Value);

        Assert.True(catalogToMonitoring.Count == 0 || monitoringToCatalog.Count == 0,
            $"Catalog and Monitoring refer to each other:\n  {string.Join("\n  ", catalogToMonitoring.Concat(monitoringToCatalog))}");
    }

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
