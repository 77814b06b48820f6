using System.Text.Json;

namespace Backup.Core.Sources;

/// <summary>
/// What a watched path leaves out of its snapshots (README "Leaving things out"), kept in the catalog with the path and
/// applied by the one walker (<see cref="TreeWalker"/>), so that the dirhash, the zip and repository archivers and the
/// watch all agree. Immutable; <see cref="Validate"/> checks it once, and a rules object that passed is what the walker
/// gets. Besides these rules every directory's <see cref="IgnoreFileName"/> file is read (gitignore syntax).
/// </summary>
public sealed record ExcludeRules
{
    /// <summary>The name of the per-directory ignore files: gitignore syntax, applying to their directory and below.</summary>
    public const string IgnoreFileName = ".backupignore";

    /// <summary>The tag file of a cache directory (https://bford.info/cachedir/).</summary>
    public const string CacheTagName = "CACHEDIR.TAG";

    /// <summary>No rules but the ignore files in the tree.</summary>
    public static ExcludeRules None { get; } = new();

    /// <summary>
    /// Patterns in gitignore syntax, relative to the watched path (a leading <c>/</c> anchors at it): given with
    /// <c>--exclude</c> or read from an <c>--exclude-file</c> when the path was added. They take precedence over the
    /// ignore files in the tree, as git's command-line patterns do; later patterns over earlier ones.
    /// </summary>
    public IReadOnlyList<string> Patterns { get; init; } = [];

    /// <summary>Leave out the contents of directories that hold a valid <see cref="CacheTagName"/> (the tag file itself is kept, as restic does).</summary>
    public bool ExcludeCaches { get; init; }

    /// <summary>Names whose presence in a directory leaves out the rest of its contents (the file itself is kept, as restic does).</summary>
    public IReadOnlyList<string> ExcludeIfPresent { get; init; } = [];

    /// <summary>Regular files larger than this many bytes are left out; null keeps every size.</summary>
    public long? ExcludeLargerThan { get; init; }

    /// <summary>Do not go below a mount point under the watched path: the directory a file system is mounted on is kept, empty.</summary>
    public bool OneFileSystem { get; init; }

    /// <summary>True when nothing is set (the ignore files in the tree still apply).</summary>
    public bool IsEmpty => Patterns.Count == 0 && !ExcludeCaches && ExcludeIfPresent.Count == 0 && ExcludeLargerThan is null && !OneFileSystem;

    /// <summary>
    /// Checks the rules and returns them: every pattern must parse (<see cref="IgnorePatterns"/>), a name of
    /// <see cref="ExcludeIfPresent"/> must be one plain file name, and a size must not be negative.
    /// </summary>
    /// <exception cref="ArgumentException">A rule is invalid; the message names it.</exception>
    public ExcludeRules Validate()
    {
        _ = IgnorePatterns.Parse(Patterns, "--exclude");
        foreach (var name in ExcludeIfPresent)
        {
            if (name.Length == 0 || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"--exclude-if-present takes a file name, not a path: '{name}'");
            }
        }
        if (ExcludeLargerThan is < 0)
        {
            throw new ArgumentException($"--exclude-larger-than must not be negative: {ExcludeLargerThan}");
        }
        return this;
    }

    /// <summary>
    /// These rules with <paramref name="other"/>'s: patterns and names appended (duplicates dropped), switches or-ed, and
    /// the size limit of <paramref name="other"/> when it has one.
    /// </summary>
    public ExcludeRules Merge(ExcludeRules other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new ExcludeRules
        {
            Patterns = [.. Patterns, .. other.Patterns.Where(p => !Patterns.Contains(p, StringComparer.Ordinal))],
            ExcludeCaches = ExcludeCaches || other.ExcludeCaches,
            ExcludeIfPresent = [.. ExcludeIfPresent, .. other.ExcludeIfPresent.Where(n => !ExcludeIfPresent.Contains(n, StringComparer.Ordinal))],
            ExcludeLargerThan = other.ExcludeLargerThan ?? ExcludeLargerThan,
            OneFileSystem = OneFileSystem || other.OneFileSystem,
        };
    }

    /// <summary>The rules as the catalog stores them: a JSON object (see docs/design.md, catalog migration 3); null when empty.</summary>
    public string? ToJson()
    {
        if (IsEmpty)
        {
            return null;
        }
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteJson(writer);
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the rules as one JSON object: <c>patterns</c>, <c>exclude_caches</c>, <c>exclude_if_present</c>, <c>exclude_larger_than</c> (bytes or null), <c>one_file_system</c>.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("patterns");
        foreach (var pattern in Patterns)
        {
            writer.WriteStringValue(pattern);
        }
        writer.WriteEndArray();
        writer.WriteBoolean("exclude_caches", ExcludeCaches);
        writer.WriteStartArray("exclude_if_present");
        foreach (var name in ExcludeIfPresent)
        {
            writer.WriteStringValue(name);
        }
        writer.WriteEndArray();
        if (ExcludeLargerThan is { } limit)
        {
            writer.WriteNumber("exclude_larger_than", limit);
        }
        else
        {
            writer.WriteNull("exclude_larger_than");
        }
        writer.WriteBoolean("one_file_system", OneFileSystem);
        writer.WriteEndObject();
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote; null or empty text is <see cref="None"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not such an object.</exception>
    public static ExcludeRules FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return None;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return new ExcludeRules
            {
                Patterns = Strings(root, "patterns"),
                ExcludeCaches = root.TryGetProperty("exclude_caches", out var caches) && caches.GetBoolean(),
                ExcludeIfPresent = Strings(root, "exclude_if_present"),
                ExcludeLargerThan = root.TryGetProperty("exclude_larger_than", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : null,
                OneFileSystem = root.TryGetProperty("one_file_system", out var one) && one.GetBoolean(),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"the catalog's exclude rules are not valid: {e.Message}", e);
        }
    }

    private static string[] Strings(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) ? [.. array.EnumerateArray().Select(e => e.GetString() ?? "")] : [];

    /// <summary>The rules as lines for people, one a rule ("exclude *.tmp", "exclude caches", "exclude files larger than 10.0 MiB").</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var pattern in Patterns)
        {
            yield return pattern.StartsWith('!') ? $"include again {pattern[1..]} ({pattern})" : $"exclude {pattern}";
        }
        if (ExcludeCaches)
        {
            yield return $"exclude caches ({CacheTagName})";
        }
        foreach (var name in ExcludeIfPresent)
        {
            yield return $"exclude directories holding {name}";
        }
        if (ExcludeLargerThan is { } limit)
        {
            yield return limit < 1024 ? $"exclude files larger than {Quantity.Bytes(limit)}" : $"exclude files larger than {Quantity.Bytes(limit)} ({limit} bytes)";
        }
        if (OneFileSystem)
        {
            yield return "one file system";
        }
    }

    /// <inheritdoc/>
    public bool Equals(ExcludeRules? other) => other is not null && ToJson() == other.ToJson();

    /// <inheritdoc/>
    public override int GetHashCode() => (ToJson() ?? "").GetHashCode(StringComparison.Ordinal);
}
