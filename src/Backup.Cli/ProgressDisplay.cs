using System.Globalization;
using Backup.Core;
using Spectre.Console;

namespace Backup.Cli;

/// <summary>
/// Shows the engine's <see cref="ProgressCounters"/> while a command works: a live display on a terminal
/// (<see cref="ProgressLive"/>), a plain line every 5 s on a stderr that is not a terminal (a log, a pipe, TERM=dumb),
/// <c>status</c> JSON lines on stdout for <c>run --json</c>, or nothing with <c>--quiet</c>. Never on stdout but for
/// JSON, which carries results. $BACKUP_PROGRESS_INTERVAL (seconds) sets the interval of all of them. Stop it
/// (<see cref="StopAsync"/>) before printing results: the live display is then cleared.
/// </summary>
internal sealed class ProgressDisplay : IAsyncDisposable
{
    /// <summary>The environment variable that sets the interval between frames, lines or status lines, in seconds.</summary>
    public const string IntervalVariable = "BACKUP_PROGRESS_INTERVAL";

    // A log line every 5 s says the work goes on without filling the log; a script reading JSON wants fresher news; a
    // terminal is redrawn 10 times a second, smooth enough and about nothing of a core.
    private static readonly TimeSpan s_lineInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_jsonInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_liveInterval = TimeSpan.FromMilliseconds(100);

    private readonly CliContext _context;
    private readonly Lock _write = new();
    private ITimer? _timer;
    private ProgressLive? _live;
    private IDisposable? _interposed;
    private TextWriter? _above;
    private bool _stopped;
    private bool _json;

    private ProgressDisplay(CliContext context) => _context = context;

    /// <summary>The counters to give the engine; null with --quiet, so that the engine counts nothing.</summary>
    public ProgressCounters? Counters { get; private set; }

    /// <summary>
    /// Starts showing progress: nothing when <paramref name="quiet"/>; <c>status</c> lines on stdout when
    /// <paramref name="jsonStatus"/>; else on stderr, live on a terminal and in plain lines elsewhere.
    /// </summary>
    /// <exception cref="BackupException">$BACKUP_PROGRESS_INTERVAL is not a number of seconds (exit 2).</exception>
    public static ProgressDisplay Start(CliContext context, bool quiet, bool jsonStatus = false)
    {
        var display = new ProgressDisplay(context);
        var interval = Interval(context);
        if (quiet)
        {
            return display;
        }
        if (jsonStatus)
        {
            display._json = true;
            display.Counters = new ProgressCounters(context.Time, display.PhaseEnded);
            display.StartTimer(interval ?? s_jsonInterval);
            return display;
        }
        display.Counters = new ProgressCounters(context.Time);
        if (Terminal(context) is { } console)
        {
            display._live = new ProgressLive(console, display.Counters, interval ?? s_liveInterval, context.Time);
            display._live.Start();
            // A warning written to stderr meanwhile (a lock that cannot be read, a file left out) goes above the display.
            display._interposed = context.InterposeError(error => display._above = display._live.Above(error));
            return display;
        }
        display.StartTimer(interval ?? s_lineInterval);
        return display;
    }

    /// <summary>
    /// Clears the live display while <paramref name="prompt"/> asks the user something (a password), so that neither
    /// draws over the other.
    /// </summary>
    public T WithoutDisplay<T>(Func<T> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        using var held = _live?.Hold();
        return prompt();
    }

    /// <summary>Stops showing progress and clears the live display. Safe to call twice.</summary>
    public async Task StopAsync()
    {
        lock (_write)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
        }
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }
        if (_live is not null)
        {
            // What was written without an end of line goes out before the display is cleared for good.
            _above?.Flush();
            _interposed?.Dispose();
            await _live.DisposeAsync();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>A Spectre.Console console on stderr when stderr is a terminal that takes ANSI codes; else null.</summary>
    private static IAnsiConsole? Terminal(CliContext context)
    {
        var term = context.Variable("TERM");
        if (!ReferenceEquals(context.Error, Console.Error) || Console.IsErrorRedirected || string.IsNullOrEmpty(term) || term == "dumb")
        {
            return null;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            // Spectre's own guess looks at stdout, which may be a file while stderr is the terminal (backup run > log).
            Interactive = InteractionSupport.Yes,
        });
        return console.Profile.Capabilities.Ansi ? console : null;
    }

    private static TimeSpan? Interval(CliContext context)
    {
        var text = context.Variable(IntervalVariable);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds > 0) || seconds > 86_400)
        {
            throw new BackupException($"{IntervalVariable} must be a number of seconds above 0 and up to 86400 (such as 5 or 0.5), not '{text}'", ExitCodes.Usage);
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private void StartTimer(TimeSpan interval) => _timer = _context.Time.CreateTimer(_ => Tick(), null, interval, interval);

    private void Tick()
    {
        var s = Counters!.Read();
        if (!s.Started || s.Ended)
        {
            return;
        }
        if (_json)
        {
            if (s.Phase == "archiving")
            {
                Write(_context.Output, s);
            }
            return;
        }
        Write(_context.Error, s);
    }

    /// <summary>The last <c>status</c> line of a directory, when its archiving ends: a script always gets one.</summary>
    private void PhaseEnded(ProgressSnapshot s)
    {
        if (s.Phase == "archiving")
        {
            Write(_context.Output, s);
        }
    }

    private void Write(TextWriter output, ProgressSnapshot s)
    {
        lock (_write)
        {
            if (_stopped)
            {
                return;
            }
            if (_json)
            {
                Commands.RunJson.Status(output, s);
            }
            else
            {
                output.WriteLine(ProgressText.Line(s));
            }
            output.Flush();
        }
    }
}
