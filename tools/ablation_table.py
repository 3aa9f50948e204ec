"""Markdown table of the ablation runs from model/logs/ablation_*/val_metrics.json (model card).

    .venv/bin/python tools/ablation_table.py
"""
import json, pathlib
rows = [("ablation_no_pdqm_l1", "no", "plain L1"), ("ablation_no_pdqm_dapl", "no", "DAPL"),
        ("ablation_pdqm_l1", "yes", "plain L1"), ("ablation_pdqm_dapl", "yes", "DAPL")]
print("| PDQM | depth loss | PCKrel (all) | PCKabs (all) | PCKrel matched | PCKabs matched | AP_root@25cm | MPJPE rel (mm) | root error (mm) |")
print("|---|---|---|---|---|---|---|---|---|")
for name, pdqm, loss in rows:
    m = json.loads((pathlib.Path("model/logs") / name / "val_metrics.json").read_text())
    print(f"| {pdqm} | {loss} | {m['pck_rel']:.1f} | {m['pck_abs']:.1f} | {m['pck_rel_matched']:.1f} | {m['pck_abs_matched']:.1f} | "
          f"{m['ap_root_25']:.1f} | {m['mpjpe_rel_mm']:.0f} | {m['root_err_mm']:.0f} |")
