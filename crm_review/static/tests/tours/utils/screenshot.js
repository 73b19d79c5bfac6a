import { rpcBus } from "@web/core/network/rpc";

// Requests in flight, to take screenshots of pages that show their data.
const pendingRequests = new Set();
rpcBus.addEventListener("RPC:REQUEST", ({ detail }) => pendingRequests.add(detail.data.id));
rpcBus.addEventListener("RPC:RESPONSE", ({ detail }) => pendingRequests.delete(detail.data.id));

// Painted frames without a request in flight before the page counts as settled:
// a dashboard asks for its data in several rounds, each after a redraw. A page
// that never settles is taken as it is after MAX_FRAMES (a few seconds).
const QUIET_FRAMES = 10;
const MAX_FRAMES = 600;

async function settled() {
    let quiet = 0;
    for (let frame = 0; quiet < QUIET_FRAMES && frame < MAX_FRAMES; frame++) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
        quiet = pendingRequests.size ? 0 : quiet + 1;
    }
}

/**
 * Steps that let the Python test take a README screenshot of the page once the
 * trigger is shown and the page has its data (see crm_review/tests/screenshots.py).
 * The tour goes on once the test has answered, whether it saved a file or not.
 *
 * @param {string} name file name in crm_review/static/description, without ".png"
 * @param {string} trigger what must be on screen
 * @param {ScrollLogicalPosition} block where the trigger is scrolled to
 */
export function screenshot(name, trigger, block = "nearest") {
    return [
        {
            content: `Screenshot: ${name}`,
            trigger,
            async run() {
                this.anchor.scrollIntoView({ block });
                await settled();
                console.log(`crm_review_screenshot:${name}`);
            },
        },
        {
            trigger: `body[data-crm-review-screenshot="${name}"]`,
        },
    ];
}
