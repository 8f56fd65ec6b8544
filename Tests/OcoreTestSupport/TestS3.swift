import Foundation
import OcoreOdoo
import OcoreRemote

/// An S3-compatible server on loopback: moto_server, with SigV4 signature checking on.
///
/// moto checks signatures against IAM access keys it knows, so the first few requests (allowed
/// without auth by INITIAL_NO_AUTH_ACTION_COUNT) create a user and its key; from then on every
/// request must be signed with that key.
public struct TestS3: Sendable {
    public let endpoint: String
    public let accessKey: String
    public let secretKey: String
    public let region = "us-east-1"

    public static let shared: TestS3 = {
        do { return try start() } catch { fatalError("cannot start moto_server: \(error)\nrun scripts/test.sh, or pip install 'moto[server]'") }
    }()

    static func start() throws -> TestS3 {
        let dir = TestDirectories.make("ocore-test-s3")
        let port = freeLoopbackPort()
        let server = try BackgroundProcess.spawn(["moto_server", "-H", "127.0.0.1", "-p", String(port)],
                                                 environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"],
                                                 logPath: dir + "/moto.log")
        Cleanup.register(shell: [["kill", String(server.pid)], ["rm", "-rf", dir]]) {
            server.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try TestSSHD.waitForPort(address: "127.0.0.1", port: port, logDir: dir)
        let endpoint = "http://127.0.0.1:\(port)"
        // Unauthenticated bootstrap: an IAM user with an access key (python, since it is only setup).
        let script = """
            import boto3, json
            iam = boto3.client('iam', endpoint_url='\(endpoint)', region_name='us-east-1', aws_access_key_id='bootstrap', aws_secret_access_key='bootstrap')
            iam.create_user(UserName='ocore')
            iam.put_user_policy(UserName='ocore', PolicyName='all', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))
            key = iam.create_access_key(UserName='ocore')['AccessKey']
            print(json.dumps([key['AccessKeyId'], key['SecretAccessKey']]))
            """
        let out = try LocalExecutor().output(Command(["python3", "-c", script], timeout: .seconds(60)))
        let keys = try JSONDecoder().decode([String].self, from: Data(out.utf8))
        return TestS3(endpoint: endpoint, accessKey: keys[0], secretKey: keys[1])
    }
}
