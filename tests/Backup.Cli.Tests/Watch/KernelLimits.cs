namespace Backup.Cli.Tests.Watch;

/// <summary>
/// Tests that lower a kernel limit of inotify for a few seconds (<c>fs.inotify.max_queued_events</c>,
/// <c>fs.inotify.max_user_watches</c>): they run alone, so that no other test's daemon meets the lowered limit.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelLimits
{
    public const string Name = "inotify kernel limits";
}
