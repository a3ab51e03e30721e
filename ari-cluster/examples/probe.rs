#[tokio::main]
async fn main() {
    let cluster = ari_cluster::Cluster::builder("nats://127.0.0.1:14222", ["hello"]).connect().await.unwrap();
    println!("{cluster:?}");
    let err = cluster.client().asterisk().get_info().await.unwrap_err();
    println!("err: {err}");
    let mut calls = cluster.client().calls(["hello"]).connect().await.unwrap();
    println!("calls connected");
    let next = tokio::time::timeout(std::time::Duration::from_millis(500), calls.next()).await;
    println!("next: {}", next.is_err());
    cluster.shutdown().await;
}
