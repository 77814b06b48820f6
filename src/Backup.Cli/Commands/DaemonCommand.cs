using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Backup.Core;
using Backup.Core.Catalog;
using Backup.Core.Locking;
using Backup.Core.Monitoring;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Commands;

/// <summary><c>backup daemon</c>: the seed's backupd. Checks at once, then every interval, until SIGINT or SIGTERM.</summary>
internal static class DaemonCommand
{
    public static Command Create(CliContext context)
    {
        var interval = new Option<TimeSpan>("--interval")
        {
            Description = "Time between checks: 10s, 5m, 1h or plain seconds",
            HelpName = "DURATION",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
            CustomParser = ParseInterval,
        };
        var archive = GlobalOptions.Archive();
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.ZeroOrMore, Description = "Directories to add to the catalog before starting" };
        paths.Validators.Add(GlobalOptions.RejectUnknownOptions);
        var command = new Command("daemon", "Watch and back up every interval until stopped (SIGINT/SIGTERM)") { interval, archive, paths };
        command.SetAction(async (parse, cancellationToken) =>
        {
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
            var excluded = Composition.Excluded(catalog, archiveRoot);
            var logger = loggers.CreateLogger<Daemon>();
            // Unlock the repository now, keeping its key rather than the password: a daemon must not find out at its first
            // check that it cannot work, nor hold the password for its whole life.
            using var credentials = RepositoryCredentials.From(context, parse, keepKey: true);
            if (Stores.HoldsRepository(archiveRoot))
            {
                await using var probe = Composition.CreateArchiver(context, catalog, credentials, archiveRoot, excluded, loggers, "daemon");
                await probe.OpenAsync(cancellationToken);
            }
            logger.LogInformation("daemon started: catalog {Catalog}, archive {Archive}, every {Interval}", db, archiveRoot, parse.GetValue(interval));
            if (catalog.GetWatchedPaths().Count == 0)
            {
                logger.LogWarning("no directories are watched yet; add one with: backup add PATH");
            }
            var daemon = new Daemon(
                async token =>
                {
                    using var work = await Composition.AcquireWorkLockAsync(context, db, "daemon check",
                        holder => logger.LogInformation("waiting for {Holder} to finish its check", holder), token);
                    // Opened at each check: a repository's index then includes what other processes stored meanwhile.
                    await using var archiver = Composition.CreateArchiver(context, catalog, credentials, archiveRoot, excluded, loggers, "daemon");
                    var monitor = new ChangeMonitor(catalog, archiver.Archiver, excluded, context.Time, loggers.CreateLogger<ChangeMonitor>());
                    return await monitor.CheckAsync(token);
                },
                parse.GetValue(interval),
                context.Time,
                logger);
            await daemon.RunAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
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
