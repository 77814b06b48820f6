using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Backup.Core;
using Backup.Core.Catalog;
using Backup.Core.Locking;
using Backup.Core.Monitoring;
using Backup.Core.Snapshots;
using Backup.Cli.Notifications;
using Backup.Cli.Web;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Commands;

/// <summary><c>backup daemon</c>: the seed's backupd. Checks at once, then every interval, until SIGINT or SIGTERM.</summary>
internal static class DaemonCommand
{
    public static Command Create(CliContext context)
    {
        var interval = new Option<TimeSpan>("--interval")
        {
            Description = "Time between checks: 10s, 5m, 1h or plain seconds (with --watch: between full rescans, default 24h)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseInterval,
        };
        var watch = new Option<bool>("--watch") {
            Description = "Snapshot each change within about a second (inotify), rather than walking every interval; old "
                + "snapshots are then thinned hourly as Time Machine does (all of the last hour, one an hour for a day, one a day for 30 days, "
                + "one a week for ever) unless --keep-* or --no-forget is given",
        };
        var quiet = new Option<TimeSpan>("--quiet")
        {
            Description = "With --watch: snapshot once no change came for this long (default 1s)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(1),
            CustomParser = ParseDelay,
        };
        var maxDelay = new Option<TimeSpan>("--max-delay")
        {
            Description = "With --watch: snapshot at the latest this long after the first change (default 10s)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseDelay,
        };
        var poll = new Option<TimeSpan>("--poll-interval")
        {
            Description = "With --watch: how often a tree that cannot be watched (no inotify, watch limit reached) is walked (default 10s)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseInterval,
        };
        var keeps = new RetentionOptions("With --watch, in place of the default retention: ");
        var noForget = new Option<bool>("--no-forget") { Description = "With --watch: keep every snapshot (no retention, no prune)" };
        var web = new WebOptions();
        var archive = GlobalOptions.Archive();
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.ZeroOrMore, Description = "Directories to add to the catalog before starting" };
        var command = new Command("daemon", "Watch and back up until stopped (SIGINT/SIGTERM): every interval, or at each change with --watch") { interval, watch, quiet, maxDelay, poll, archive, paths };
        var notify = new NotificationOptions();
        foreach (var option in keeps.All.Append(noForget).Concat(notify.All).Concat(web.All))
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            foreach (var option in new Option[] { quiet, maxDelay, poll })
            {
                if (result.GetResult(option) is { Implicit: false } && !result.GetValue(watch))
                {
                    result.AddError($"{option.Name} applies only with --watch");
                }
            }
        });
        command.Validators.Add(result => ValidateRetention(result, watch, keeps, noForget));
        command.Validators.Add(web.Validate);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Before anything is locked or written: a usage error changes nothing.
            var listen = web.Parse(context, parse);
            var db = context.CatalogPath(parse.GetValue(GlobalOptions.Db));
            using var catalog = CatalogStore.Open(db);
            // The lock comes first: a daemon that refuses to start changes nothing.
            using var daemonLock = ProcessLock.TryAcquire(Composition.DaemonLockPath(db), "daemon", context.Time)
                ?? throw new BackupException($"a daemon is already running on catalog {db}: {ProcessLock.DescribeHolder(Composition.DaemonLockPath(db))}");
            var added = AddCommand.AddAll(context, catalog, parse.GetValue(paths) ?? []);
            if (added != ExitCodes.Ok)
            {
                return added;
            }
            var archiveRoot = context.ArchivePath(parse.GetValue(archive), db);
            using var loggers = context.CreateLoggers(daemon: true);
            var excluded = Composition.Excluded(context, catalog, archiveRoot);
            var logger = loggers.CreateLogger<Daemon>();
            using var notifier = ServiceNotifier.Create(context, logger);
            // Told at the signal itself, not after the current snapshot has been cancelled.
            using var stopping = cancellationToken.Register(() => notifier?.Stopping());
            // Unlock the repository now, keeping its key rather than the password: a daemon must not find out at its first
            // check that it cannot work, nor hold the password for its whole life.
            using var credentials = RepositoryCredentials.From(context, parse, keepKey: true);
            if (Stores.HoldsRepository(archiveRoot))
            {
                await using var probe = Composition.CreateArchiver(context, catalog, credentials, archiveRoot, excluded, loggers, "daemon");
                await probe.OpenAsync(cancellationToken);
            }
            // Under a watchdog, every snapshot counts its work here: a snapshot whose counters stop is taken for hung.
            var progress = notifier?.Heartbeat?.Progress;
            var metrics = new DaemonMetrics();
            var state = listen is null ? null : new WebState();
            await using var server = listen is null ? null
                : await WebOptions.StartAsync(context, listen, db, archiveRoot, credentials, state!, metrics.ExportAsync, cancellationToken);
            if (catalog.GetWatchedPaths().Count == 0)
            {
                logger.LogWarning("no directories are watched yet; add one with: backup add PATH");
            }
            await using var notifications = notify.Create(parse, parse.GetValue(watch), parse.GetValue(maxDelay), context, loggers);
            void Observe(SnapshotAttempt attempt)
            {
                metrics.Observe(attempt);
                notifications?.Observe(attempt);
            }
            if (parse.GetValue(watch))
            {
                var options = new WatchOptions
                {
                    Quiet = parse.GetValue(quiet),
                    MaxDelay = parse.GetValue(maxDelay),
                    Poll = parse.GetValue(poll),
                    // A test seam (docs/design.md, "Testing the watch"): the watches stop reading while this file exists.
                    ParkedWhile = context.Variable("BACKUP_TEST_PARK_WATCH") is { Length: > 0 } park ? () => File.Exists(park) : null,
                    Rescan = parse.GetResult(interval) is { Implicit: false } ? parse.GetValue(interval) : TimeSpan.FromHours(24),
                    Heartbeat = notifier?.Heartbeat,
                    Ready = notifier is null ? null : paths => notifier.Ready(ServiceNotifier.Describe(paths)),
                    Observer = Observe,
                    // A test seam too: the notification tests fail a path and recover it without waiting 10 s per retry.
                    RetryAfter = context.Variable("BACKUP_TEST_RETRY_AFTER_MS") is { Length: > 0 } retry
                        ? TimeSpan.FromMilliseconds(int.Parse(retry, CultureInfo.InvariantCulture)) : new WatchOptions().RetryAfter,
                };
                var retention = WatchRetention.Create(context, catalog, credentials, archiveRoot, RetentionPolicyOf(parse, keeps, noForget), loggers, progress);
                options = options with { AfterSnapshot = retention is null ? null : retention.AfterSnapshotAsync };
                logger.LogInformation("watch retention: {Policy}", retention?.Policy.ToString() ?? "off (every snapshot is kept)");
                logger.LogInformation("daemon started: catalog {Catalog}, archive {Archive}, watching changes (quiet {Quiet}, at most {MaxDelay}, rescan every {Rescan})",
                    db, archiveRoot, options.Quiet, options.MaxDelay, options.Rescan);
                return await WatchAsync(context, catalog, credentials, archiveRoot, excluded, loggers, options, notifier, paths =>
                {
                    metrics.Update(paths);
                    notifications?.Update(paths);
                    state?.Update(paths);
                }, cancellationToken);
            }
            logger.LogInformation("daemon started: catalog {Catalog}, archive {Archive}, every {Interval}", db, archiveRoot, parse.GetValue(interval));
            var daemon = new Daemon(
                async token =>
                {
                    using var work = await Composition.AcquireWorkLockAsync(context, db, "daemon check",
                        holder => logger.LogInformation("waiting for {Holder} to finish its check", holder), progress, token);
                    // Opened at each check: a repository's index then includes what other processes stored meanwhile.
                    await using var archiver = Composition.CreateArchiver(context, catalog, credentials, archiveRoot, excluded, loggers, "daemon", progress: progress);
                    var monitor = new ChangeMonitor(catalog, archiver.Archiver, excluded, context.Time, loggers.CreateLogger<ChangeMonitor>()) { Progress = progress };
                    return await monitor.CheckAsync(token);
                },
                parse.GetValue(interval),
                context.Time,
                logger,
                notifier?.Heartbeat,
                Checked(metrics, Notify(notifier, state, context.Time)))
            {
                Observer = Observe,
            };
            await daemon.RunAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The daemon in watch mode: snapshots from events, with the state of each path in the status file.</summary>
    private static async Task<int> WatchAsync(
        CliContext context, CatalogStore catalog, RepositoryCredentials credentials, string archiveRoot, HashSet<string> excluded,
        Microsoft.Extensions.Logging.ILoggerFactory loggers, WatchOptions options, ServiceNotifier? notifier, Action<IReadOnlyList<WatchStatus>> onStatus,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger<ContinuousMonitor>();
        var status = new DaemonStatusFile(DaemonStatusFile.PathFor(catalog.Path));
        using var kept = new KeptRepository();
        using var monitor = new ContinuousMonitor(
            catalog,
            archiveRoot,
            async (work, token) =>
            {
                using var held = await Composition.AcquireWorkLockAsync(context, catalog.Path, "daemon snapshot",
                    holder => logger.LogInformation("waiting for {Holder} to finish its check", holder), options.Heartbeat?.Progress, token);
                try
                {
                    await using var archiver = Composition.CreateArchiver(
                        context, catalog, credentials, archiveRoot, excluded, loggers, "daemon", kept, options.Heartbeat?.Progress);
                    await work(archiver.Archiver);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Opened afresh at the next attempt: a failed snapshot may leave unflushed blobs behind.
                    kept.Drop();
                    throw;
                }
            },
            excluded,
            options,
            paths =>
            {
                status.Write(new DaemonStatus(Environment.ProcessId, context.Time.GetUtcNow(), archiveRoot, paths), logger);
                notifier?.Status(ServiceNotifier.Describe(paths));
                onStatus(paths);
            },
            context.Time,
            logger);
        try
        {
            await monitor.RunAsync(cancellationToken);
        }
        finally
        {
            status.Delete();
        }
        logger.LogInformation("stopping after {Snapshots}", Formatting.Count(monitor.Snapshots, "snapshot"));
        return ExitCodes.Ok;
    }

    /// <summary>The interval daemon's reports to the metrics (which paths it still watches), then to <paramref name="notify"/>.</summary>
    private static Action<CheckReport> Checked(DaemonMetrics metrics, Action<CheckReport>? notify) => report =>
    {
        metrics.Checked(report.Outcomes.Select(o => o.Path));
        notify?.Invoke(report);
    };

    /// <summary>
    /// The interval daemon's reports: to systemd, <c>READY=1</c> after the first check and <c>STATUS=</c> after each;
    /// to the web page, each path's state. Null when neither listens.
    /// </summary>
    private static Action<CheckReport>? Notify(ServiceNotifier? notifier, WebState? web, TimeProvider time)
    {
        if (notifier is null && web is null)
        {
            return null;
        }
        var first = true;
        return report =>
        {
            web?.Update(report, time.GetUtcNow());
            if (notifier is null)
            {
                return;
            }
            var line = ServiceNotifier.Describe(report, time.GetUtcNow());
            if (first)
            {
                notifier.Ready(line);
                first = false;
            }
            else
            {
                notifier.Status(line);
            }
        };
    }

    /// <summary>
    /// The watch's retention: the <c>--keep-*</c> options when any is given, none with <c>--no-forget</c>, else
    /// <see cref="RetentionPolicy.WatchDefault"/>.
    /// </summary>
    private static RetentionPolicy? RetentionPolicyOf(ParseResult parse, RetentionOptions keeps, Option<bool> noForget) =>
        parse.GetValue(noForget) ? null : keeps.Policy(parse) is { IsEmpty: false } given ? given : RetentionPolicy.WatchDefault;

    /// <summary>The retention options apply to the watch only, and <c>--no-forget</c> contradicts a <c>--keep-*</c> option.</summary>
    private static void ValidateRetention(CommandResult result, Option<bool> watch, RetentionOptions keeps, Option<bool> noForget)
    {
        var keeping = keeps.AnyGiven(result);
        var off = result.GetResult(noForget) is { Implicit: false };
        if ((keeping || off) && !result.GetValue(watch))
        {
            result.AddError($"{(keeping ? "--keep-*" : "--no-forget")} applies only with --watch: the daemon forgets snapshots only in watch mode");
        }
        else if (keeping && off)
        {
            result.AddError("--no-forget keeps every snapshot: give it or --keep-* options, not both");
        }
    }

    /// <summary>Parses a delay of the watch: 200ms, 1s, 2.5s, 1m or plain seconds, from 10 ms to 1 hour.</summary>
    internal static TimeSpan ParseDelay(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value * unit < 0.01 || value * unit > 3600)
        {
            result.AddError($"invalid delay '{text}': use a duration from 10ms to 1 hour, such as 500ms, 1s, 2.5s or 1m");
            return default;
        }
        return TimeSpan.FromSeconds(value * unit);
    }

    // Below a second the daemon would rehash every tree in a busy loop; past 30 days a timer cannot wait (and nobody means it).
    private static readonly TimeSpan s_shortest = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longest = TimeSpan.FromDays(30);

    /// <summary>Parses 10s, 5m, 1h or plain seconds, from 1 second to 30 days; anything else is a usage error.</summary>
    internal static TimeSpan ParseInterval(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        var (number, unit) = text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value * unit < s_shortest.TotalSeconds || value * unit > s_longest.TotalSeconds)
        {
            result.AddError($"invalid interval '{text}': use a duration from 1s to 30 days, such as 10s, 5m, 1h or 30");
            return default;
        }
        return TimeSpan.FromSeconds(value * unit);
    }
}
