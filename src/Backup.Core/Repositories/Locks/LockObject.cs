using System.Text.Json.Serialization;

namespace Backup.Core.Repositories.Locks;

/// <summary>A lock object in <c>locks/</c>.</summary>
public sealed record LockObject
{
    /// <summary>When it was taken or last refreshed.</summary>
    [JsonPropertyName("time")] public required DateTimeOffset Time { get; init; }

    /// <summary>The holder's machine.</summary>
    [JsonPropertyName("host")] public required string Host { get; init; }

    /// <summary>The holder's process id.</summary>
    [JsonPropertyName("pid")] public int Pid { get; init; }

    /// <summary>
    /// The holder's start time in clock ticks after boot (see <see cref="Posix.ProcessStartTime"/>), so that a later
    /// process that reuses the pid is not taken for the holder; null in locks written before it was recorded.
    /// </summary>
    [JsonPropertyName("start")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ulong? Start { get; init; }

    /// <summary>
    /// The inode number of the holder's pid namespace (see <see cref="Posix.PidNamespace"/>): its <see cref="Pid"/> and
    /// <see cref="Start"/> name a process only for a reader of the same namespace. Null in locks written before it was
    /// recorded, or when /proc did not show it.
    /// </summary>
    [JsonPropertyName("pidns")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ulong? PidNamespace { get; init; }

    /// <summary>What the holder does (run, prune, check…).</summary>
    [JsonPropertyName("operation")] public string Operation { get; init; } = "";

    /// <summary>True for prune: nothing else may run.</summary>
    [JsonPropertyName("exclusive")] public bool Exclusive { get; init; }
}
