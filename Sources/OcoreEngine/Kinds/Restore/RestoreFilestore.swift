import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

extension RestoreRun {
    /// The filestore is extracted while the database loads (they use different resources: the
    /// load is PostgreSQL's CPU, the extraction is disk): started here, awaited in its own step.
    func startFilestore(_ context: StepContext, _ source: RestoreSource) throws {
        guard p.includeFilestore else { return }
        if source.filestore == .none { return context.log(.warning, "the backup holds no filestore: \(p.target)'s filestore is left as it is") }
        let t = try target(context)
        let executor = Executors.forServer(t.server)
        let fs = RemoteFileSystem(executor)
        let dir = t.filestore
        try FilestoreGuard.check(dir, on: executor, environment: p.target)
        if try FilestoreSetAside.move(dir, suffix: ".ocore-pre-restore-\(context.jobID)", on: fs, record: { aside in try record(context) { $0.movedFilestore = aside } }) == nil,
           p.newEnvironment != nil {
            try record(context) { $0.createdFilestore = dir }
        }
        try fs.makeDirectory(dir)
        let stop = CancellationFlag()
        filestoreStop = stop
        // The ZIP reader serves one thread at a time: the extraction has its own.
        let zip = try source.zip.map { try ZipArchiveReader(path: $0.path) }
        if case .members(let prefix) = source.filestore {
            filestoreTotal = zip?.members.filter { $0.name.hasPrefix(prefix) }.reduce(0) { $0 + $1.size }
        }
        if case .objects(let list) = source.filestore {
            filestoreTotal = (try? IncrementalRestore.readList(list))?.filestore.reduce(0) { $0 + $1.size }
        }
        filestoreWork = BackgroundWork { [self] in
            switch source.filestore {
            case .members(let prefix):
                let files = zip!.members.filter { $0.name.hasPrefix(prefix) && !$0.name.hasSuffix("/") }
                let counter = filestoreBytes
                let result = try streamMember(of: zip!, names: files.map(\.name), asTar: true, stripPrefix: prefix, into: RemoteFileSystem.tarIn(dir),
                                              on: executor, context: context, cancellation: stop) { _, sent in counter.set(sent) }
                guard result.succeeded else { throw StepFailure.command("tar", result.summary) }
                return "\(files.count) files, \(formatBytes(files.reduce(0) { $0 + $1.size })) into \(dir)"
            case .tarGzMember(let name):
                let result = try streamMember(of: zip!, names: [name], into: Command(["tar", "-x", "-z", "-f", "-", "-C", dir]),
                                              on: executor, context: context, cancellation: stop) { _, _ in }
                guard result.succeeded else { throw StepFailure.command("tar", result.summary) }
                return "\(name) extracted into \(dir)"
            case .directory(let path):
                let bytes = try RemoteFileSystem.copyTree(from: RemoteFileSystem(LocalExecutor()), path, to: fs, dir, cancellation: stop)
                return "\(formatBytes(bytes)) copied from \(path) into \(dir)"
            case .objects(let list):
                return try restoreObjects(list: list, into: dir, server: t.server, context: context, cancellation: stop)
            case .none:
                return "nothing"
            }
        }
    }

    func finishFilestore(_ context: StepContext) throws {
        step(context, "restore_filestore")
        guard p.includeFilestore else { return context.log(.info, "filestore left as it is (--no-filestore)") }
        if filestoreWork == nil, let file = archiveFile(context) { try startFilestore(context, try RestoreSource.inspect(file)) }
        guard let work = filestoreWork else { return }
        while !work.isDone {
            if context.cancellation.isCancelled { filestoreStop?.cancel() }
            let done = filestoreBytes.value
            if let total = filestoreTotal, total > 0 {
                context.progress(min(Double(done) / Double(total), 0.99), message: "\(formatBytes(done)) of \(formatBytes(total)) extracted")
            } else {
                context.progress(0.5, message: "extracting (started with the database load)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let summary = try work.wait().get()
        try context.checkCancelled()
        let t = try target(context)
        if let owner = t.environment.filestoreOwner { try FilestoreOwner.give(t.filestore, to: owner, on: Executors.forServer(t.server), context) }
        if let aside = state(context).movedFilestore {
            try RemoteFileSystem(Executors.forServer(t.server)).removeTree(aside)
            try record(context) { $0.movedFilestore = nil }
        }
        context.log(.info, "filestore restored: \(summary)")
    }

    func undoFilestore(_ context: StepContext) throws {
        // An extraction still running (the load failed first) is stopped before anything moves.
        filestoreStop?.cancel()
        _ = filestoreWork?.wait()
        let t = try target(context)
        let fs = RemoteFileSystem(Executors.forServer(t.server))
        if let aside = state(context).movedFilestore {
            try FilestoreSetAside.putBack(aside, to: t.filestore, on: fs)
            try record(context) { $0.movedFilestore = nil }
            context.log(.info, "previous filestore put back")
        } else if let created = state(context).createdFilestore {
            try fs.removeTree(created)
            try record(context) { $0.createdFilestore = nil }
        }
    }

}
