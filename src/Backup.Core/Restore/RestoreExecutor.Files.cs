using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>The files of a restore, written piece by piece in whatever order the source reads them.</summary>
public sealed partial class RestoreExecutor
{
    /// <summary>
    /// The <see cref="IContentSink"/> of one restore: a file is created on its first piece and stays open until the
    /// source completes it, then gets its length, owner, attributes, mode and time and is closed, so only files whose
    /// content is still arriving hold a descriptor. A file that fails is kept open until <see cref="DiscardFailed"/>
    /// (no piece can be in flight then) and removed. Thread-safe.
    /// </summary>
    private sealed class FileWriter(
        RestoreExecutor executor, RestoreTarget destination, IReadOnlyList<RestoreEntry> files, ConcurrentDictionary<string, RestoreFailure> failures)
        : IContentSink, IDisposable
    {
        private static readonly Slot s_done = new();

        private readonly Slot?[] _slots = new Slot?[files.Count];
        private readonly ConcurrentQueue<Slot> _failed = new();
        private long _bytes;

        /// <summary>The bytes of the files completed so far.</summary>
        public long Bytes => Interlocked.Read(ref _bytes);

        public void Write(int file, long offset, ReadOnlySpan<byte> data)
        {
            var slot = SlotOf(file);
            if (slot == s_done || slot.Failed || Open(slot, file) is not { } handle)
            {
                return;
            }
            var written = RestoreExecutor.Write(handle, data, offset, destination.FullPath(files[file].Path));
            if (written > 0)
            {
                var end = offset + written;
                long seen;
                while ((seen = Interlocked.Read(ref slot.DataEnd)) < end && Interlocked.CompareExchange(ref slot.DataEnd, end, seen) != seen)
                {
                }
            }
        }

        public void Complete(int file, long size)
        {
            var slot = SlotOf(file);
            if (slot == s_done || slot.Failed || Open(slot, file) is not { } handle)
            {
                return;
            }
            var entry = files[file];
            using (handle)
            {
                executor.Finish(handle, entry, destination, destination.FullPath(entry.Path), size, Interlocked.Read(ref slot.DataEnd));
            }
            Volatile.Write(ref _slots[file], s_done); // the slot, and its handle, are garbage now
            destination.Finish(entry.Path);
            Interlocked.Add(ref _bytes, size);
        }

        public void Fail(int file, Exception error)
        {
            var slot = SlotOf(file);
            lock (slot)
            {
                if (slot == s_done || slot.Failed)
                {
                    return;
                }
                slot.Failed = true;
            }
            slot.File = file;
            _failed.Enqueue(slot);
            failures.TryAdd(files[file].Path, new RestoreFailure(files[file].Path, error.Message));
        }

        /// <summary>Closes and removes the files that failed; call it when the source has returned, so that no piece is in flight.</summary>
        public void DiscardFailed()
        {
            while (_failed.TryDequeue(out var slot))
            {
                slot.Handle?.Dispose();
                slot.Handle = null;
                destination.Discard(files[slot.File].Path);
            }
        }

        /// <summary>Closes what is still open (a restore that stopped early: its files are the target's to remove).</summary>
        public void Dispose()
        {
            foreach (var slot in _slots)
            {
                slot?.Handle?.Dispose();
            }
        }

        private Slot SlotOf(int file)
        {
            var slot = Volatile.Read(ref _slots[file]);
            if (slot is not null)
            {
                return slot;
            }
            var made = new Slot();
            return Interlocked.CompareExchange(ref _slots[file], made, null) ?? made;
        }

        private SafeFileHandle? Open(Slot slot, int file)
        {
            if (Volatile.Read(ref slot.Handle) is { } open)
            {
                return open;
            }
            lock (slot)
            {
                return slot.Failed ? null : slot.Handle ??= destination.CreateFile(files[file].Path);
            }
        }

        private sealed class Slot
        {
            public SafeFileHandle? Handle;
            public long DataEnd;
            public volatile bool Failed;
            public int File;
        }
    }
}
