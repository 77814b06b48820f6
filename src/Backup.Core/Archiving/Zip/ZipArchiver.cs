using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backup.Core.Posix;
using Backup.Core.Restore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.Core.Archiving.Zip;

/// <summary>
/// Archives a directory as one zip file per snapshot, at
/// <c>ARCHIVE/&lt;dirname&gt;-&lt;8 hex of SHA-256 of the absolute path&gt;/&lt;UTC yyyyMMddTHHmmssfffZ&gt;.zip</c>, written under a
/// hidden temporary name in the same folder, flushed to disk, then renamed, so a visible zip is always complete.
/// Thread-safe: each call works on its own files.
/// </summary>
public sealed class ZipArchiver : IArchiver
{
    /// <summary>Suffix of the files this archiver writes.</summary>
    public const string Extension = ".zip";

    private const string PartialMarker = ".partial-";

    // In partial names, so that a folder shared between machines never loses a file that another host is writing.
    private static readonly string s_host = string.Concat(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _archiveRoot;
    private readonly ZipArchiverOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HashSet<string> _excluded;

    /// <summary>Creates an archiver that writes below <paramref name="archiveRoot"/> (created on first use, mode 0700).</summary>
    public ZipArchiver(string archiveRoot, ZipArchiverOptions? options = null, TimeProvider? time = null, ILogger<ZipArchiver>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(archiveRoot);
        _archiveRoot = Path.GetFullPath(archiveRoot);
        _options = (options ?? new ZipArchiverOptions()).Validate();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _excluded = [.. _options.ExcludedPaths, _archiveRoot];
    }

    /// <inheritdoc/>
    public string Destination => _archiveRoot;

    /// <summary>The folder that holds every snapshot of <paramref name="sourceRoot"/>: its name plus 8 hex digits of a hash of its path.</summary>
    public string FolderFor(string sourceRoot)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(sourceRoot));
        // Control characters and a leading '-' or '.' make a folder name that is awkward in a shell or hidden.
        name = string.Concat(name.Select(c => char.IsControl(c) ? '_' : c));
        if (name.Length == 0 || name[0] is '-' or '.')
        {
            name = "_" + name;
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(sourceRoot));
        return Path.Join(_archiveRoot, $"{name}-{Convert.ToHexStringLower(hash.AsSpan(0, 4))}");
    }

    /// <summary>Archives <paramref name="sourceRoot"/> with no exclude rules but the ignore files in the tree (see <see cref="ArchiveAsync(string, string, Sources.ExcludeRules, CancellationToken)"/>).</summary>
    public Task<ArchiveResult> ArchiveAsync(string sourceRoot, string treeHash, CancellationToken cancellationToken) =>
        ArchiveAsync(sourceRoot, treeHash, Sources.ExcludeRules.None, cancellationToken);

    /// <inheritdoc/>
    public async Task<ArchiveResult> ArchiveAsync(string sourceRoot, string treeHash, Sources.ExcludeRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceRoot);
        ArgumentNullException.ThrowIfNull(treeHash);
        ArgumentNullException.ThrowIfNull(rules);
        var time = _time.GetUtcNow();
        var folder = FolderFor(sourceRoot);
        RefuseRepositoryFolder(_archiveRoot);
        Directory.CreateDirectory(_archiveRoot, PrivateDirectory);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, PrivateDirectory);
            PosixFile.FlushDirectory(_archiveRoot); // the new folder's own entry must survive a crash too
        }
        RemoveAbandonedPartials(folder);
        var final = FreeName(folder, time);
        var temp = Path.Join(folder, "." + Path.GetFileName(final) + PartialMarker + s_host + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            var (info, problems) = await WriteAsync(sourceRoot, treeHash, rules, time, temp, cancellationToken);
            var stored = new FileInfo(temp).Length; // in the archive's own 0700 folder, written just now
            File.Move(temp, final);
            PosixFile.FlushDirectory(folder);
            _logger.LogDebug("wrote {Archive}: {Files}, {Size}", final, Quantity.Count(info.Files, "file"), Quantity.Bytes(info.Bytes));
            return new ArchiveResult(final, info, problems) { StoredBytes = stored };
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <inheritdoc/>
    public Task<RestoreResult> RestoreAsync(string archive, string target, RestoreOptions options, CancellationToken cancellationToken) =>
        new ZipRestorer(options).RestoreAsync(archive, target, cancellationToken);

    /// <summary>
    /// The checked plan of restoring <paramref name="archive"/> with <paramref name="options"/> (what
    /// <see cref="RestoreAsync"/> would write), reading only the central directory; throws as the restore would.
    /// </summary>
    public static RestorePlan PlanRestore(string archive, RestoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ZipRestorer(options).Plan(archive);
    }

    private async Task<(SnapshotInfo Info, IReadOnlyList<Sources.TreeProblem> Problems)> WriteAsync(
        string sourceRoot, string treeHash, Sources.ExcludeRules rules, DateTimeOffset time, string temp, CancellationToken cancellationToken)
    {
        var fileOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 0,
            UnixCreateMode = PrivateFile,
        };
        using var archive = new FileStream(temp, fileOptions);
        using var central = new FileStream(temp + ".cd", new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 1 << 16,
            Options = FileOptions.DeleteOnClose,
            UnixCreateMode = PrivateFile,
        });
        using var writer = new ZipWriter(archive.SafeFileHandle, central);
        var tree = new ZipTreeWriter(_options, writer);
        await tree.WriteAsync(sourceRoot, _excluded, rules, cancellationToken);
        var problems = tree.Problems;
        var info = new SnapshotInfo
        {
            SourcePath = sourceRoot,
            Time = time,
            Hash = treeHash,
            Files = tree.Files,
            Bytes = tree.Bytes,
            Complete = problems.Count == 0,
            Host = Environment.MachineName,
        };
        writer.Finish(info.ToJsonBytes());
        // fsync before the rename: a crash must never leave a complete-looking name over incomplete data.
        archive.Flush(flushToDisk: true);
        return (info, problems);
    }

    private static string FreeName(string folder, DateTimeOffset time)
    {
        // Two snapshots in the same millisecond get consecutive names; the real time is in the archive comment.
        while (true)
        {
            var path = Path.Join(folder, time.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + Extension);
            if (!File.Exists(path))
            {
                return path;
            }
            time = time.AddMilliseconds(1);
        }
    }

    /// <summary>Deletes temporary files left by a process of this host that died (kill -9, power loss) while writing into <paramref name="folder"/>.</summary>
    private void RemoveAbandonedPartials(string folder)
    {
        var ours = PartialMarker + s_host + "-";
        foreach (var path in Directory.EnumerateFiles(folder, "." + "*" + ours + "*"))
        {
            var pidText = path[(path.LastIndexOf(ours, StringComparison.Ordinal) + ours.Length)..];
            var cut = pidText.IndexOf('.', StringComparison.Ordinal);
            if (cut >= 0)
            {
                pidText = pidText[..cut];
            }
            if (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                _logger.LogInformation("removing the partial archive {Path} left by process {Pid}", path, pid);
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// Zips are never written into what is, or was, a repository: a repository whose <c>config</c> vanished (or whose
    /// disk is not mounted, leaving <c>keys/</c> or <c>data/</c> of another) must not quietly become a folder of
    /// unencrypted zips. Throws <see cref="DestinationUnavailableException"/> (exit 10).
    /// </summary>
    public static void RefuseRepositoryFolder(string root)
    {
        foreach (var marker in (string[])["config", "keys", "data", "index", "snapshots", "locks"])
        {
            if (PosixFile.TryLstat(Path.Join(root, marker)) is not null)
            {
                throw new DestinationUnavailableException(
                    $"{root} holds '{marker}' of a repository but is not a usable repository (config or keys missing or damaged): refusing to write zips into it", 10,
                    new IOException(root));
            }
        }
    }
}
