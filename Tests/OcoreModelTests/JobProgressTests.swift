import OcoreModel
import Testing

@Suite("Job progress and ETA")
struct JobProgressTests {
    func step(_ p: Int, _ start: Double, _ end: Double, _ status: StepStatus, _ progress: Double = 0) -> JobStepRecord {
        JobStepRecord(jobID: 1, position: p, name: "s\(p)", title: "S\(p)", weightStart: start, weightEnd: end, status: status, progress: progress)
    }

    @Test("overall progress is the weighted sum: finished steps in full, the running one by its own progress")
    func weighted() {
        let spans = JobProgress.spans(markers: [2, 5, 10, 18, 25, 40, 55, 70, 85, 95, 100])
        #expect(spans.first! == (0, 2) && spans[4] == (18, 25) && spans.last! == (95, 100))
        let steps = [step(0, 0, 2, .completed), step(1, 2, 5, .completed), step(2, 5, 10, .running, 0.5), step(3, 10, 18, .pending)]
        #expect(JobProgress.overall(steps) == 7.5)
        #expect(JobProgress.overall([step(0, 0, 50, .skipped), step(1, 50, 100, .completed)]) == 100)
        #expect(JobProgress.spans(weights: [1, 3]).map { $0.1 } == [25, 100])
    }

    @Test("no ETA until there is enough signal; then remaining time from the recent rate")
    func eta() {
        var e = ETAEstimator(window: 30, minimumSpan: 3)
        e.add(time: 0, percent: 10)
        e.add(time: 1, percent: 11)
        #expect(e.secondsRemaining == nil)
        e.add(time: 4, percent: 14)
        #expect(e.secondsRemaining == 86)  // 1 %/s, 86 % left
        e.add(time: 5, percent: 2)  // progress went back (a new phase): start over
        #expect(e.secondsRemaining == nil)
        var stalled = ETAEstimator()
        stalled.add(time: 0, percent: 50)
        stalled.add(time: 10, percent: 50)
        #expect(stalled.secondsRemaining == nil)
    }
}
