/* The outbox: every record the phone makes waits here (IndexedDB) until the server has it.
 * Each record carries the client UUID of what it creates, so sending it twice is harmless. */
export const Outbox = (() => {
  const DB_NAME = "wangge-m";
  const STORE = "outbox";
  let dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => {
          req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }

  async function run(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const store = tx.objectStore(STORE);
      let result;
      const req = work(store);
      if (req) req.onsuccess = () => { result = req.result; };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  return {
    /** Queue records atomically (a report and its photos go in together, in order). */
    addAll(records) {
      return run("readwrite", (store) => {
        for (const r of records) store.add({ state: "pending", created: Date.now(), ...r });
        return null;
      });
    },
    all() { return run("readonly", (store) => store.getAll()); },
    remove(seq) { return run("readwrite", (store) => store.delete(seq)); },
    put(record) { return run("readwrite", (store) => store.put(record)); },
  };
})();
