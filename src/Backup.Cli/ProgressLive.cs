using Backup.Core;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Backup.Cli;

/// <summary>
/// Progress on a terminal: a Spectre.Console live display on stderr, redrawn from the counters every interval, each
/// line cut to the terminal's width so that a narrow terminal never wraps it; cleared when stopped, and the cursor
/// shown again whatever ended the work (an error, SIGINT). <see cref="Hold"/> clears it while a prompt is on screen;
/// <see cref="Above"/> is a writer for stderr whose lines are written above the display, never into it (a warning
/// of the engine while it draws).
/// </summary>
internal sealed class ProgressLive : IAsyncDisposable
{
    private readonly IAnsiConsole _console;
    private readonly ProgressCounters _counters;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private LiveDisplayContext? _display;
    private int _held;
    private Task _loop = Task.CompletedTask;

    public ProgressLive(IAnsiConsole console, ProgressCounters counters, TimeSpan interval, TimeProvider time)
    {
        _console = console;
        _counters = counters;
        _interval = interval;
        _time = time;
    }

    /// <summary>Starts drawing, on the thread pool.</summary>
    public void Start()
    {
        _console.Cursor.Show(false);
        _loop = Task.Run(() => _console.Live(Render())
            .AutoClear(true)
            .Overflow(VerticalOverflow.Crop)
            .Cropping(VerticalOverflowCropping.Bottom)
            .StartAsync(DrawAsync));
    }

    /// <summary>Clears the display until the returned object is disposed: what is written meanwhile stays on screen above it.</summary>
    public IDisposable Hold()
    {
        lock (_lock)
        {
            _held++;
            if (_display is { } display)
            {
                display.UpdateTarget(Text.Empty);
                display.Refresh();
                // The cleared display leaves the cursor after the blanks it wrote: what comes next starts its line.
                _console.Profile.Out.Writer.Write('\r');
                _console.Profile.Out.Writer.Flush();
            }
        }
        return new Release(this);
    }

    /// <summary>
    /// A writer over <paramref name="inner"/> (the terminal's stderr) that keeps what is written until a line ends, then
    /// clears the display, writes the line and lets the next frame draw below it; what is left without an end of line
    /// is written when the writer is flushed.
    /// </summary>
    public TextWriter Above(TextWriter inner) => new AboveWriter(this, inner);

    /// <summary>Stops drawing, clears the display and shows the cursor.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        finally
        {
            _console.Cursor.Show(true);
            _stop.Dispose();
        }
    }

    private async Task DrawAsync(LiveDisplayContext display)
    {
        lock (_lock)
        {
            _display = display;
        }
        while (!_stop.IsCancellationRequested)
        {
            lock (_lock)
            {
                display.UpdateTarget(_held > 0 ? Text.Empty : Render());
            }
            try
            {
                await Task.Delay(_interval, _time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        lock (_lock)
        {
            _display = null;
        }
    }

    /// <summary>
    /// Three lines: what and to what, with a bar, the share and the time left; the counts and rate; the item at hand.
    /// </summary>
    private IRenderable Render()
    {
        var s = _counters.Read();
        if (!s.Started || s.Ended)
        {
            return Text.Empty;
        }
        // One column short of the width: a line that fills the last column makes some terminals wrap.
        var width = Math.Max(1, _console.Profile.Width - 1);
        var tail = string.Join("  ", new[] { ProgressText.Percent(s), ProgressText.Eta(s) }.OfType<string>());
        var tailColumns = ProgressText.Columns(tail);
        var heading = ProgressText.Heading(s);
        var barWidth = Math.Min(30, width - tailColumns - 4 - Math.Min(ProgressText.Columns(heading), 24));
        var first = new List<IRenderable>();
        string top;
        if (s.Fraction is { } fraction && barWidth >= 8)
        {
            top = ProgressText.Fit(heading, width - tailColumns - barWidth - 4);
            var done = (int)Math.Round(fraction * barWidth);
            var unicode = _console.Profile.Capabilities.Unicode;
            top = $"{Markup.Escape(top)}  [green]{new string(unicode ? '━' : '#', done)}[/][grey]{new string(unicode ? '━' : '-', barWidth - done)}[/]  {Markup.Escape(tail)}";
        }
        else
        {
            top = Markup.Escape(tail.Length == 0 ? ProgressText.Fit(heading, width)
                : width > tailColumns + 10 ? $"{ProgressText.Fit(heading, width - tailColumns - 2)}  {tail}"
                : ProgressText.FitStart(tail, width));
        }
        first.Add(new Markup(top));
        if (s.TotalItems is not null || s.TotalBytes is not null || s.ItemsDone + s.BytesDone > 0)
        {
            var counts = string.Join("  ", new[] { ProgressText.Counts(s), ProgressText.Rate(s) }.OfType<string>());
            first.Add(new Markup(Markup.Escape(ProgressText.FitStart(counts, width))));
        }
        if (s.Current is { } current)
        {
            first.Add(new Markup($"[grey]{Markup.Escape(ProgressText.Fit(Formatting.Path(current), width))}[/]"));
        }
        return new Rows(first);
    }

    private sealed class AboveWriter(ProgressLive owner, TextWriter inner) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (_line)
            {
                _line.Append(value);
                if (value == '\n')
                {
                    Emit();
                }
            }
        }

        public override void Write(string? value)
        {
            lock (_line)
            {
                _line.Append(value);
                if (value is not null && value.Contains('\n', StringComparison.Ordinal))
                {
                    Emit();
                }
            }
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value) => Write(value + NewLine);

        public override void Flush()
        {
            lock (_line)
            {
                if (_line.Length > 0)
                {
                    Emit();
                }
            }
        }

        // Called with the line (or what is left) gathered: written through a held display, so that it stays on screen above it.
        private void Emit()
        {
            var text = _line.ToString();
            _line.Clear();
            using (owner.Hold())
            {
                inner.Write(text);
                inner.Flush();
            }
        }
    }

    private sealed class Release(ProgressLive owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lock (owner._lock)
                {
                    owner._held--;
                }
            }
        }
    }
}
