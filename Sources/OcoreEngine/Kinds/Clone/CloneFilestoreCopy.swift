import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension CloneRun {
    /// Starts the filestore copy on its own thread, after the same checks as a copy in place.
    func startFilestoreCopy(_ context: StepContext) throws {
        guard p.includeFilestore else { return }
        let sides = try sides(context)
        let target = targetFilestore(sides)
        guard try RemoteFileSystem(filestoreExecutor(sides)).stat(sourceFilestore(sides)) != nil else { return }
        if try RemoteFileSystem(sides.targetExecutor).stat(target) != nil {
            throw StepFailure.check("target filestore", "\(target) already exists on \(sides.targetServer.name)")
        }
        let bytes = filestoreCopy.bytes, stop = filestoreCopy.stop
        filestoreCopy.work = BackgroundWork { [self] in try copyFilestore(context, progress: { bytes.set($0) }, cancellation: stop) }
        context.log(.info, "filestore copy started beside the database copy")
    }

    /// Waits for the filestore copy started with the database (or copies it now if it was not).
    func finishFilestoreCopy(_ context: StepContext) throws {
        guard let work = filestoreCopy.work else { return try copyFilestore(context, progress: nil, cancellation: context.cancellation) }
        let expected = max(Double(state(context).filestoreSize ?? 1), 1)
        while !work.isDone {
            if context.cancellation.isCancelled { filestoreCopy.stop.cancel() }
            let done = filestoreCopy.bytes.value
            context.progress(done > 0 ? min(Double(done) / expected, 0.99) : 0.5,
                             message: done > 0 ? "\(formatBytes(done)) streamed" : "copying (started with the database)")
            Thread.sleep(forTimeInterval: 0.1)
        }
        try context.checkCancelled()
        try work.wait().get()
    }

    /// On one server, copy-on-write where the file system shares blocks (`cp --reflink`: files of
    /// their own, so owner and mode stay independent, made in the time of hard links), else hard
    /// links (Odoo never rewrites a stored file, so they are a safe, instant copy); a tar stream
    /// between servers. The log says which.
    func copyFilestore(_ context: StepContext, progress: (@Sendable (Int64) -> Void)?, cancellation: CancellationFlag) throws {
        guard p.includeFilestore else { return context.log(.info, "filestore not copied (--no-filestore)") }
        let sides = try sides(context)
        let source = sourceFilestore(sides)
        let target = targetFilestore(sides)
        let sourceFS = RemoteFileSystem(filestoreExecutor(sides)), targetFS = RemoteFileSystem(sides.targetExecutor)
        // A golden copy's filestore is on the target server, whichever server the source is on.
        let oneServer = sides.sameServer || p.fromGolden != nil
        guard try sourceFS.stat(source) != nil else { return context.log(.warning, "the source has no filestore at \(source)") }
        if try targetFS.stat(target) != nil { throw StepFailure.check("target filestore", "\(target) already exists on \(sides.targetServer.name)") }
        try record(context) { $0.createdFilestore = target }
        try targetFS.makeDirectory((target as NSString).deletingLastPathComponent)
        let parent = (target as NSString).deletingLastPathComponent
        if oneServer, let sample = try sourceFS.anyFile(under: source), targetFS.canReflink(sample, into: parent) {
            let result = try sides.targetExecutor.run(Command(["cp", "-a", "--reflink=always", "--", source, target]), cancellation: cancellation)
            if result.succeeded {
                return context.log(.info, "filestore reflinked into \(target) (copy-on-write: files of its own sharing the source's blocks until either changes)")
            }
            context.log(.warning, "reflinks failed (\(result.summary)); hard links or a copy instead")
            try targetFS.removeTree(target)
        }
        // Hard links share their owner with the source's files: for another owner, a real copy.
        if oneServer, p.filestoreOwner.map({ !FilestoreOwner.owns($0, source, on: sourceFS.executor) }) == true {
            let result = try sides.targetExecutor.run(Command(["cp", "-a", "--", source, target]), cancellation: cancellation)
            guard result.succeeded else { throw StepFailure.command("cp", result.summary) }
            context.log(.info, "filestore copied into \(target) (not hard-linked: its files belong to \(p.filestoreOwner ?? "?"), the source's do not)")
        } else if oneServer {
            let result = try sides.targetExecutor.run(Command(["cp", "-al", "--", source, target]), cancellation: cancellation)
            if !result.succeeded {
                context.log(.warning, "hard links failed (\(result.summary)); copying instead")
                try? targetFS.removeTree(target)
                _ = try sides.targetExecutor.output(Command(["cp", "-a", "--", source, target]))
            }
            context.log(.info, "filestore hard-linked into \(target)")
        } else {
            let bytes = try RemoteFileSystem.copyTree(from: sourceFS, source, to: targetFS, target, compress: p.compress == true, progress: progress,
                                                      cancellation: cancellation)
            context.log(.info, "filestore streamed to \(sides.targetServer.name) (\(formatBytes(bytes)))")
        }
    }

    /// The copy is on the target, given to the target's owner: its size against the source's, as
    /// measured before the copy.
    func checkFilestore(_ context: StepContext) throws {
        guard p.includeFilestore else { return }
        let sides = try sides(context)
        let target = targetFilestore(sides)
        if let owner = p.filestoreOwner, try RemoteFileSystem(sides.targetExecutor).stat(target) != nil,
           !FilestoreOwner.owns(owner, target, on: sides.targetExecutor) {
            try FilestoreOwner.give(target, to: owner, on: sides.targetExecutor, context)
        }
        let size = try RemoteFileSystem(sides.targetExecutor).treeSize(target)
        let expected = state(context).filestoreSize
        context.log(.info, "filestore at \(target): \(size.map(formatBytes) ?? "absent")\(expected.map { " (the source's: \(formatBytes($0)))" } ?? "")")
    }

    /// Stops a copy still running, removes what it wrote, and puts a replaced target's own filestore back.
    func undoFilestoreCopy(_ context: StepContext) throws {
        filestoreCopy.stopAndWait()
        let sides = try sides(context)
        let fs = RemoteFileSystem(sides.targetExecutor)
        let done = state(context)
        defer {
            if let old = done.replacedFilestore {
                try? FilestoreSetAside.putBack(old, to: targetFilestore(sides), on: fs)
                try? record(context) { $0.replacedFilestore = nil }
            }
        }
        guard let dir = done.createdFilestore, dir != sides.source.filestore, dir != sourceFilestore(sides) else { return }  // never the source's
        try fs.removeTree(dir)
        try record(context) { $0.createdFilestore = nil }
        context.log(.info, "removed target filestore \(dir)")
    }
}

/// A filestore copy running beside the database copy: its thread, a way to stop it, its bytes.
final class FilestoreOverlap: @unchecked Sendable {
    var work: BackgroundWork<Void>?
    let stop = CancellationFlag()
    let bytes = ByteCounter()

    /// Stops a copy still running and waits for it, so what it wrote can be removed.
    func stopAndWait() {
        guard let work else { return }
        stop.cancel()
        _ = work.wait()
    }
}
