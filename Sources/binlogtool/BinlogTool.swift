import ArgumentParser

@main
struct BinlogTool: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "binlogtool", abstract: "Inspect, verify and repair Pika binlogs.")
}
