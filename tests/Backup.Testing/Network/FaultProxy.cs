using System.Net;
using System.Net.Sockets;

namespace Backup.Testing.Network;

/// <summary>Which way a fault counts or acts on bytes through a <see cref="FaultProxy"/>.</summary>
public enum FaultDirection
{
    /// <summary>Bytes either way: client to server and server to client together.</summary>
    Both,

    /// <summary>Bytes from the client to the server only (an upload's body).</summary>
    Upstream,

    /// <summary>Bytes from the server to the client only (a download's body).</summary>
    Downstream,
}

/// <summary>
/// A loopback TCP proxy in front of a server (127.0.0.1:<see cref="Port"/> → target host:port) that a test can make
/// misbehave as a bad network would, while connections are open: cut connections after some bytes, stall (stop
/// forwarding but keep the sockets open), or slow every chunk down. Counts connections and bytes. Thread-safe.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private const int ChunkSize = 16384;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposed = new();
    private long _cutAfter = long.MaxValue;
    private long _armedBytes;
    private bool _stallInstead;
    private FaultDirection _cutDirection = FaultDirection.Both;
    private bool _cutEvery;
    private TaskCompletionSource _flowing = NewFlowing(open: true);
    private TimeSpan _delay;
    private long _connections;
    private long _bytesUp;
    private long _bytesDown;
    private long _cuts;

    /// <summary>
    /// Raised by a <see cref="CutAfter"/> fault just before it cuts, on the proxy's thread: a handler may set another
    /// fault (<see cref="Stall()"/>, say) that is in place before the client sees the cut.
    /// </summary>
    public event Action? Cutting;

    /// <summary>Listens on a free loopback port and forwards every connection to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    public FaultProxy(string targetHost, int targetPort)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>Forwards to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public FaultProxy(int targetPort)
        : this("127.0.0.1", targetPort)
    {
    }

    /// <summary>Forwards to the host and port of <paramref name="target"/> (an http URL, say).</summary>
    public FaultProxy(Uri target)
        : this(target?.Host ?? throw new ArgumentNullException(nameof(target)), target.Port)
    {
    }

    /// <summary>The loopback port to connect to instead of the server's.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The proxy as an http URL (for an S3 endpoint, say).</summary>
    public Uri HttpUrl => new($"http://127.0.0.1:{Port}/");

    /// <summary>Connections accepted so far.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Bytes forwarded from the clients to the server so far.</summary>
    public long BytesUp => Interlocked.Read(ref _bytesUp);

    /// <summary>Bytes forwarded from the server to the clients so far.</summary>
    public long BytesDown => Interlocked.Read(ref _bytesDown);

    /// <summary>How many times a <see cref="CutAfter"/> fault has cut the connections.</summary>
    public long Cuts => Interlocked.Read(ref _cuts);

    /// <summary>Closes every connection made so far (with a reset); new ones are still forwarded.</summary>
    public void Cut()
    {
        lock (_lock)
        {
            foreach (var client in _open)
            {
                try
                {
                    if (client.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Closed already.
                }
                client.Dispose();
            }
            _open.Clear();
        }
    }

    /// <summary>
    /// Cuts every open connection once <paramref name="bytes"/> more bytes have gone through in
    /// <paramref name="direction"/> (counted over all connections). Once, unless <paramref name="every"/>: then the count
    /// starts again after each cut, so every attempt that sends as much is cut too.
    /// </summary>
    public void CutAfter(long bytes, FaultDirection direction = FaultDirection.Both, bool every = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            _cutDirection = direction;
            _cutEvery = every;
            _stallInstead = false;
            _armedBytes = bytes;
            Interlocked.Exchange(ref _cutAfter, bytes);
        }
    }

    /// <summary>
    /// Stalls (as <see cref="Stall()"/>) once <paramref name="bytes"/> more bytes have gone through in
    /// <paramref name="direction"/>: a transfer that stops halfway with its connection still open. Until <see cref="Release"/>.
    /// </summary>
    public void StallAfter(long bytes, FaultDirection direction = FaultDirection.Both)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            _cutDirection = direction;
            _cutEvery = false;
            _stallInstead = true;
            _armedBytes = bytes;
            Interlocked.Exchange(ref _cutAfter, bytes);
        }
    }

    /// <summary>Stops cutting connections.</summary>
    public void StopCutting()
    {
        lock (_lock)
        {
            _cutEvery = false;
            Interlocked.Exchange(ref _cutAfter, long.MaxValue);
        }
    }

    /// <summary>
    /// Stops forwarding either way, keeping every socket open, until <see cref="Release"/>. What the proxy has read
    /// meanwhile is held and forwarded on release, even to a client that gave up; <see cref="Cut"/> before releasing
    /// drops it.
    /// </summary>
    public void Stall()
    {
        lock (_lock)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = NewFlowing(open: false);
            }
        }
    }

    /// <summary>Stalls for <paramref name="duration"/>, then forwards again.</summary>
    public void Stall(TimeSpan duration)
    {
        Stall();
        _ = Task.Delay(duration, _disposed.Token).ContinueWith(_ => Release(), TaskScheduler.Default);
    }

    /// <summary>Forwards again after <see cref="Stall()"/>.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _flowing.TrySetResult();
        }
    }

    /// <summary>Waits <paramref name="delay"/> before forwarding each chunk (up to 16 KiB) either way; zero for none.</summary>
    public void DelayEachChunk(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        lock (_lock)
        {
            _delay = delay;
        }
    }

    /// <summary>Clears every fault: no cutting, no stall, no delay.</summary>
    public void Heal()
    {
        StopCutting();
        DelayEachChunk(TimeSpan.Zero);
        Release();
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _listener.Stop();
        Release();
        Cut();
        _disposed.Dispose();
    }

    private static TaskCompletionSource NewFlowing(bool open)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            source.SetResult();
        }
        return source;
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = ConnectAsync(inbound);
        }
    }

    private async Task ConnectAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(_targetHost, _targetPort);
        }
        catch (SocketException)
        {
            // The server is down: the client sees its connection reset, as it would have seen a refusal.
            inbound.Client.LingerState = new LingerOption(true, 0);
            inbound.Dispose();
            outbound.Dispose();
            return;
        }
        lock (_lock)
        {
            _open.Add(inbound);
            _open.Add(outbound);
        }
        _ = PumpAsync(inbound, outbound, upstream: true);
        _ = PumpAsync(outbound, inbound, upstream: false);
    }

    private Task WaitFlowingAsync()
    {
        Task flowing;
        lock (_lock)
        {
            flowing = _flowing.Task;
        }
        return flowing.WaitAsync(_disposed.Token);
    }

    private bool Counts(bool upstream)
    {
        var direction = _cutDirection;
        return direction == FaultDirection.Both || (direction == FaultDirection.Upstream) == upstream;
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool upstream)
    {
        try
        {
            var buffer = new byte[ChunkSize];
            int n;
            while ((n = await from.GetStream().ReadAsync(buffer)) > 0)
            {
                TimeSpan delay;
                lock (_lock)
                {
                    delay = _delay;
                }
                await WaitFlowingAsync();
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _disposed.Token);
                }
                long remaining;
                if (Counts(upstream) && (remaining = Interlocked.Add(ref _cutAfter, -n)) < 0)
                {
                    // Forward what fits below the limit, then cut: the server sees a body that stops short.
                    var left = (int)Math.Clamp(remaining + n, 0, n);
                    if (left > 0)
                    {
                        await to.GetStream().WriteAsync(buffer.AsMemory(0, left));
                    }
                    if (_stallInstead)
                    {
                        Interlocked.Exchange(ref _cutAfter, long.MaxValue);
                        Stall();
                        await WaitFlowingAsync();
                        await to.GetStream().WriteAsync(buffer.AsMemory(left, n - left));
                        continue;
                    }
                    lock (_lock)
                    {
                        Interlocked.Exchange(ref _cutAfter, _cutEvery ? _armedBytes : long.MaxValue);
                    }
                    Interlocked.Increment(ref _cuts);
                    Cutting?.Invoke();
                    Cut();
                    return;
                }
                await to.GetStream().WriteAsync(buffer.AsMemory(0, n));
                if (upstream)
                {
                    Interlocked.Add(ref _bytesUp, n);
                }
                else
                {
                    Interlocked.Add(ref _bytesDown, n);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException or OperationCanceledException)
        {
            // Cut: the other direction sees it too.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
